"""``lr train``: parse flags into a :class:`TrainConfig` and run the loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lr_core.config import parse_cli, read_config_file
from lr_core.errors import ConfigError
from lr_policies.train.config import TRAIN_CONFIG_NAME, TrainConfig

EXTRA_FLAGS = {
    "stop_after_steps=INT": "End this invocation at step N with a checkpoint, to be continued "
    "with --resume=true; not saved in the config (default: run to --steps).",
    "policy.path=DIR_OR_HUB_ID": "Fine-tune a saved policy: its config.json is the base of "
    "--policy.* and its weights the starting point (default: train from scratch).",
}


def main(argv: list[str]) -> int:
    """``lr train --policy.type=act --dataset.repo_id=user/name --steps=... [--resume=true]``.

    ``--resume=true --output_dir=DIR`` continues the run in DIR with the config it saved (flags
    still override); ``--config_path=<checkpoint>/pretrained_model/train_config.json
    --resume=true`` continues that checkpoint. ``--stop_after_steps=N`` ends this invocation at
    step N with a checkpoint, for jobs with a time limit. ``--policy.path=DIR_OR_HUB_ID``
    fine-tunes a saved policy as LeRobot does: its ``config.json`` is the base of ``--policy.*``
    (other flags override fields) and its weights are the starting point (``pretrained_path``).
    """
    argv = list(argv)
    stop = _pop(argv, "stop_after_steps")
    stop_after_steps = None
    if stop is not None:
        try:
            stop_after_steps = int(stop)
        except ValueError:
            raise ConfigError(f"--stop_after_steps must be an integer, got {stop!r}") from None
        if stop_after_steps < 1:
            raise ConfigError(f"--stop_after_steps must be at least 1, got {stop_after_steps}")
    config_path = _peek(argv, "config_path")
    policy_path = _pop(argv, "policy.path")
    defaults = _saved_run_config(argv) if config_path is None else None
    if policy_path is not None:
        from lr_policies.pretrained import load_policy_config, resolve_pretrained

        saved = load_policy_config(resolve_pretrained(policy_path)).to_dict()
        defaults = {**(defaults or {}), "policy": {**saved, "pretrained_path": policy_path}}
    cfg = parse_cli(TrainConfig, argv, prog="lr train", defaults=defaults, extra_help=EXTRA_FLAGS)
    from lr_policies.train.loop import train

    checkpoint = None
    if cfg.resume and config_path is not None:
        from lr_policies.train.checkpoint import find_checkpoint

        checkpoint = find_checkpoint(cfg, config_path)
    last = train(cfg, checkpoint=checkpoint, stop_after_steps=stop_after_steps)
    print(f"lr train: last checkpoint {last}")
    return 0


def _saved_run_config(argv: list[str]) -> dict[str, Any] | None:
    """With ``--resume=true --output_dir=DIR``: the config that run saved (its last
    checkpoint's, else the one at the top of DIR), so that flags need not be repeated."""
    resume = (_peek(argv, "resume") or "").lower() in ("true", "1", "yes")
    output_dir = _peek(argv, "output_dir")
    if not resume or not output_dir:
        return None
    from lr_policies.train.checkpoint import last_checkpoint

    candidates = [Path(output_dir) / TRAIN_CONFIG_NAME]
    found = last_checkpoint(output_dir)
    if found is not None:
        candidates.insert(0, found / "pretrained_model" / TRAIN_CONFIG_NAME)
    for file in candidates:
        if file.is_file():
            saved = read_config_file(file)
            saved.pop("resume", None)
            return saved
    return None


def _pop(argv: list[str], name: str) -> str | None:
    value = _peek(argv, name)
    for i, arg in enumerate(list(argv)):
        if arg == f"--{name}":
            del argv[i : i + 2]
            break
        if arg.startswith(f"--{name}="):
            del argv[i]
            break
    return value


def _peek(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == f"--{name}" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None
