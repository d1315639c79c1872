"""Training metrics: a progress bar, ``metrics.jsonl``, a loss-curve PNG, optional wandb.

Each logged line of ``<output_dir>/metrics.jsonl`` is one JSON object: ``step``, ``loss``,
``lr``, ``grad_norm``, ``data_s`` (time waiting for the batch), ``update_s`` (forward, backward
and optimizer step), ``samples``, ``epochs`` and the policy's own loss terms. Resuming appends
(after dropping lines past the resumed step). ``<output_dir>/loss_curve.png`` (log scale, round
ticks, grid: :func:`lr_policies.train.plot.render_curve`) is redrawn at every checkpoint and at
the end.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lr_core.fileio import atomic_write_bytes
from lr_core.progress import ProgressBar
from lr_core.progress import progress_bar as lr_progress_bar
from lr_policies.train.plot import render_curve

if TYPE_CHECKING:  # pragma: no cover
    from lr_policies.train.config import WandbConfig

METRICS_FILE = "metrics.jsonl"
LOSS_CURVE_FILE = "loss_curve.png"


class MetricsLogger:
    """Writes metrics of the main process (see the module docstring)."""

    def __init__(
        self,
        output_dir: Path,
        *,
        total_steps: int,
        start_step: int = 0,
        progress_bar: bool = True,
        wandb_config: WandbConfig | None = None,
        run_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.file = self.output_dir / METRICS_FILE
        self._truncate_after(start_step)
        self._handle = self.file.open("a")
        self._bar: ProgressBar | None = None
        if progress_bar:
            self._bar = lr_progress_bar(total_steps, desc="train", unit="step", initial=start_step)
        self._wandb = _start_wandb(wandb_config, run_config, self.output_dir)

    def _truncate_after(self, step: int) -> None:
        if not self.file.exists():
            return
        kept = [line for line in self.file.read_text().splitlines() if line.strip()]
        kept = [line for line in kept if json.loads(line).get("step", 0) <= step]
        atomic_write_bytes(self.file, "".join(line + "\n" for line in kept).encode())

    def step(self, step: int, metrics: Mapping[str, float] | None = None) -> None:
        """Advance the progress bar to ``step``; with ``metrics``, also log them."""
        if self._bar is not None:
            self._bar.update(step - self._bar.n)
        if metrics is None:
            return
        record = {"step": step, **{k: _plain(v) for k, v in metrics.items()}}
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()
        if self._bar is not None:
            self._bar.set_postfix_str(
                f"loss={record.get('loss', float('nan')):.4g} lr={record.get('lr', 0):.2e} "
                f"data={record.get('data_s', 0) * 1e3:.0f}ms "
                f"compute={record.get('update_s', 0) * 1e3:.0f}ms",
                refresh=False,
            )
        if self._wandb is not None:
            self._wandb.log(dict(record), step=step)

    def record(self, step: int, metrics: Mapping[str, float]) -> None:
        """Append one record (e.g. evaluation results) without touching the progress bar."""
        record = {"step": step, **{k: _plain(v) for k, v in metrics.items()}}
        self._handle.write(json.dumps(record) + "\n")
        self._handle.flush()
        if self._wandb is not None:
            self._wandb.log(dict(record), step=step)

    def write(self, text: str) -> None:
        """Print a line without breaking the progress bar."""
        if self._bar is not None:
            self._bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

    def plot(self) -> Path:
        """Redraw ``loss_curve.png`` from ``metrics.jsonl``."""
        self._handle.flush()
        steps, losses = [], []
        for line in self.file.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                if isinstance(record.get("loss"), (int, float)) and math.isfinite(record["loss"]):
                    steps.append(record["step"])
                    losses.append(record["loss"])
        target = self.output_dir / LOSS_CURVE_FILE
        atomic_write_bytes(target, render_curve(steps, losses, title="training loss"))
        return target

    def close(self) -> None:
        """Flush and close everything."""
        self._handle.close()
        if self._bar is not None:
            self._bar.close()
        if self._wandb is not None:
            self._wandb.finish()


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _start_wandb(
    config: WandbConfig | None, run_config: Mapping[str, Any] | None, output_dir: Path
) -> Any:
    if config is None or not config.enable:
        return None
    try:
        import wandb
    except ImportError:
        warnings.warn(
            "wandb.enable is set but the wandb package is not installed; logging to "
            f"{output_dir / METRICS_FILE} only (pip install wandb)",
            stacklevel=2,
        )
        return None
    return wandb.init(
        project=config.project,
        entity=config.entity,
        mode=config.mode,
        dir=str(output_dir),
        config=dict(run_config or {}),
    )


__all__ = ["LOSS_CURVE_FILE", "METRICS_FILE", "MetricsLogger", "render_curve"]
