"""The stages of ``lr quickstart`` as the commands a user would type, and their runners.

Each stage is built as the argument list of its command (``lr sim record``, ``lr train``,
``lr eval``), parsed by that command's own parser and run by its own function, so the commands
printed in the report are exactly what ran. Runners execute in a fresh ``spawn`` process each
(see :func:`in_child_process`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shlex
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

T = TypeVar("T")

#: Seeds of evaluation episodes start here, far from the recorded episodes' seeds (0, 1, ...).
EVAL_SEED = 100_000
REPO_ID = "local/quickstart"
#: Seconds a stage gets after Ctrl-C to unwind on its own (then again after SIGTERM).
STOP_GRACE_S = 20.0


# --------------------------------------------------------------------------- flags


def _flag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def config_flags(prefix: str, config: BaseModel, *, with_type: bool = True) -> list[str]:
    """``--prefix.field=value`` flags for every field of ``config`` that differs from its class
    default (nested models recursively; lists and dicts as JSON). A plugin config (with a
    ``type``) leads with ``--prefix.type=...`` so the command picks the same class."""
    flags: list[str] = []
    values = config.model_dump(mode="json", serialize_as_any=True)
    defaults = type(config)().model_dump(mode="json", serialize_as_any=True)
    if with_type and "type" in values:
        flags.append(f"--{prefix}.type={values['type']}")
    for name, value in values.items():
        if name == "type" or value == defaults.get(name):
            continue
        field_value = getattr(config, name)
        if isinstance(field_value, BaseModel):
            flags += config_flags(f"{prefix}.{name}", field_value, with_type=False)
        else:
            flags.append(f"--{prefix}.{name}={_flag_value(value)}")
    return flags


def shell_command(argv: list[str], env: Mapping[str, str] | None = None) -> str:
    """``argv`` as one shell line (each word quoted as needed), ``KEY=value`` prefixes first."""
    prefix = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()]
    return " ".join(prefix + [shlex.quote(a) for a in argv])


@dataclass(frozen=True)
class Runtime:
    """How training and evaluation use the machine (chosen by :func:`choose_runtime`)."""

    device: str
    threads: int
    num_workers: int
    cpu_count: int

    def describe(self) -> str:
        """One line for the console and the report."""
        workers = f"{self.num_workers} data-loading worker" + ("s" if self.num_workers != 1 else "")
        return (
            f"device {self.device}, {self.threads} torch thread"
            f"{'s' if self.threads != 1 else ''}, {workers} ({self.cpu_count} CPUs seen)"
        )


def cpu_description() -> str:
    """``model name`` from /proc/cpuinfo, the CPU count, and AVX2 / AVX-512 support (training
    speed depends on them); the platform's processor string where /proc is absent."""
    import platform

    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return (
        f"{model}, {os.cpu_count()} CPUs, {vector}" if flags else f"{model}, {os.cpu_count()} CPUs"
    )


def children_cpu_s() -> float:
    """CPU seconds (user + system) used so far by this process's finished children and their
    own children (a stage's process and its data-loading workers), 0 where the platform does
    not count them. Unlike wall time it hardly depends on what else runs on the machine."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> float | None:
    """The 1-minute load average (other programs' demand for the CPUs), ``None`` where the
    platform has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def choose_runtime(
    device: str | None, threads: int | None, num_workers: int | None, cuda_available: bool
) -> Runtime:
    """The device, torch threads and data-loading workers of a run; ``None`` means choose.

    On CPU: one torch thread and one data-loading worker process (two cores busy at most).
    torch's intra-op threads synchronise at every operator, so a second thread stalls whenever
    another program holds a core: with one core kept busy, a 2-thread run of the quickstart's
    policy was several times slower, while one thread plus one worker (two processes the
    scheduler can place independently) loses little (figures in docs/benchmarks.md). On a GPU:
    torch's default threads and up to 4 workers.
    """
    cpus = os.cpu_count() or 1
    chosen = device or ("cuda" if cuda_available else "cpu")
    if chosen.startswith("cuda"):
        return Runtime(chosen, threads or max(1, min(4, cpus // 2)), _workers(num_workers, 4), cpus)
    return Runtime(chosen, threads or 1, _workers(num_workers, 1 if cpus >= 2 else 0), cpus)


def _workers(explicit: int | None, default: int) -> int:
    cpus = os.cpu_count() or 1
    return explicit if explicit is not None else max(0, min(default, cpus - 1))


# --------------------------------------------------------------------------- processes


def in_child_process(stage: Callable[..., T], *args: Any) -> T:
    """Run one stage in a fresh interpreter and return its result (its exception re-raised).

    Stages are isolated because MuJoCo's EGL renderer (Mesa's llvmpipe, which loads LLVM) and
    the CUDA build of torch (whose optimizers import triton, which bundles another LLVM) crash
    with a segmentation fault when triton is loaded after the renderer in one process, and a
    process forked after EGL rendering deadlocks (hence ``spawn``). A fresh process per stage
    also returns the memory of each stage to the system.

    Ctrl-C reaches the child too (same process group): the parent stops it with
    :func:`lr_core.processes.stop_processes` (the shared escalation: up to :data:`STOP_GRACE_S`
    to finish unwinding, as a recording finalises its dataset, then SIGTERM, then SIGKILL) and
    re-raises ``KeyboardInterrupt``. A child that dies without a result (a crash, a kill) is a
    :class:`~lr_core.errors.LrError` naming the stage and exit code. The child is not a daemon
    (unlike :func:`lr_core.processes.run_in_child`'s): the training stage starts data-loading
    worker processes, which a daemonic process may not have.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(sender, stage, args))
    process.start()
    sender.close()
    try:
        ok, payload, trace = receiver.recv()
    except EOFError:
        process.join()
        from lr_core.errors import LrError

        raise LrError(
            f"the quickstart stage {stage.__name__} ended without a result "
            f"(exit code {process.exitcode}); its output above says why"
        ) from None
    except KeyboardInterrupt:
        from lr_core.processes import stop_processes

        stop_processes([process], grace_s=STOP_GRACE_S)
        raise
    finally:
        receiver.close()
    process.join()
    if not ok:
        if isinstance(payload, BaseException):
            raise payload
        from lr_core.errors import LrError

        raise LrError(f"the quickstart stage {stage.__name__} failed:\n{trace}")
    return payload


def _child_main(sender: Any, stage: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result: tuple[bool, Any, str] = (True, stage(*args), "")
    except BaseException as exc:  # sent to the parent, which re-raises it
        import traceback

        result = (False, exc, traceback.format_exc())
    try:
        sender.send(result)
    except Exception:  # an exception that does not pickle: send its text
        sender.send((False, None, result[2]))
    finally:
        sender.close()


# --------------------------------------------------------------------------- runners


def run_record(argv: list[str]) -> dict[str, Any]:
    """``lr sim record <argv>``; the summary of :func:`lr_sim.record.record`."""
    from lr_core.config import parse_cli
    from lr_sim.record import SimRecordConfig, record

    args = ["--expert=true" if a == "--expert" else a for a in argv]
    return record(parse_cli(SimRecordConfig, args, prog="lr sim record"))


def run_train(argv: list[str], threads: int) -> dict[str, Any]:
    """``lr train <argv>`` with ``threads`` torch threads; the checkpoint and speed."""
    import torch

    torch.set_num_threads(threads)
    from lr_core.config import parse_cli
    from lr_policies.train import TrainConfig, train

    cfg = parse_cli(TrainConfig, argv, prog="lr train")
    started, cpu_started = time.perf_counter(), time.process_time()
    last = train(cfg)
    seconds = time.perf_counter() - started
    return {
        "checkpoint": str(Path(last) / "pretrained_model"),
        "train_dir": cfg.output_dir,
        "seconds": seconds,
        "main_cpu_s": time.process_time() - cpu_started,
        "steps_per_s": loop_rate(Path(str(cfg.output_dir)) / "metrics.jsonl"),
    }


def loop_rate(metrics: Path) -> float:
    """Training steps per second of the loop itself (batch wait + update, from the logged
    window averages of ``metrics.jsonl``), without start-up and checkpoint writing."""
    seconds, steps, previous = 0.0, 0, 0
    for line in metrics.read_text().splitlines():
        record = json.loads(line) if line.strip() else {}
        if "update_s" not in record:
            continue
        window = record["step"] - previous
        previous = record["step"]
        seconds += window * (record["data_s"] + record["update_s"])
        steps += window
    return steps / seconds if seconds > 0 else 0.0


def cuda_available() -> bool:
    """Whether torch sees a CUDA device (run in a child: the parent never imports torch)."""
    import torch

    return bool(torch.cuda.is_available())


def run_eval(argv: list[str], threads: int) -> dict[str, Any]:
    """``lr eval <argv>`` with ``threads`` torch threads; the evaluation report."""
    import torch

    torch.set_num_threads(threads)
    from lr_core.config import parse_cli
    from lr_policies.eval.config import EvalRunConfig
    from lr_policies.eval.rollout import evaluate

    return evaluate(parse_cli(EvalRunConfig, argv, prog="lr eval"))


__all__ = [
    "EVAL_SEED",
    "REPO_ID",
    "Runtime",
    "children_cpu_s",
    "choose_runtime",
    "config_flags",
    "cpu_description",
    "cuda_available",
    "in_child_process",
    "load_average",
    "run_eval",
    "run_record",
    "run_train",
    "shell_command",
]
