"""Child processes that end with Ctrl-C: a command that runs workers or stages in other
processes leaves within a couple of seconds of Ctrl-C, with every child gone.

Ctrl-C in a terminal sends SIGINT to the whole foreground process group, so children get it
too; but a child blocked on a full pipe, or one that handles SIGINT by cleaning up slowly, can
keep the command alive for many seconds. :func:`stop_processes` ends them in order: wait briefly
for those already exiting, then SIGTERM, then SIGKILL. :func:`run_in_child` runs one function in
a fresh interpreter (``spawn``) and applies it when interrupted::

    from lr_core.processes import run_in_child

    checkpoint = run_in_child(train_stage, config, run_dir)
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import pickle
import traceback
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

#: Seconds a child gets to exit on its own after Ctrl-C, then again after SIGTERM.
GRACE_S = 1.0


class _Process(Protocol):
    pid: int | None

    def is_alive(self) -> bool: ...

    def join(self, timeout: float | None = None) -> None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...


def stop_processes(
    processes: Iterable[_Process], *, grace_s: float = GRACE_S, wait_first: bool = True
) -> None:
    """End ``processes`` (``multiprocessing.Process``-like): those still running after
    ``grace_s`` get SIGTERM, those still running ``grace_s`` later SIGKILL; all are joined.
    ``wait_first=False`` sends SIGTERM at once (workers with nothing to save)."""
    alive = [p for p in processes if p.is_alive()]
    steps = ("wait", "terminate", "kill") if wait_first else ("terminate", "kill")
    for signal_step in steps:
        if signal_step == "terminate":
            for p in alive:
                p.terminate()
        elif signal_step == "kill":
            for p in alive:
                p.kill()
        for p in alive:
            p.join(grace_s if signal_step != "kill" else None)
        alive = [p for p in alive if p.is_alive()]
        if not alive:
            return


class ChildProcessFailed(RuntimeError):
    """An exception raised in the child that could not be sent back as itself."""


def _child_main(
    conn: multiprocessing.connection.Connection, fn: Callable[..., Any], args: tuple
) -> None:
    try:
        result: tuple[str, Any] = ("ok", fn(*args))
    except KeyboardInterrupt:
        return
    except BaseException as exc:
        text = "".join(traceback.format_exception(exc))
        try:
            pickle.dumps(exc)
            result = ("error", (exc, text))
        except Exception:
            result = ("error", (None, text))
    try:
        conn.send(result)
    finally:
        conn.close()


def run_in_child(fn: Callable[..., T], *args: Any, grace_s: float = GRACE_S) -> T:
    """``fn(*args)`` in a fresh interpreter (``spawn``; ``fn`` and ``args`` must pickle); its
    return value, or its exception raised here. On Ctrl-C here the child is stopped
    (:func:`stop_processes`) before ``KeyboardInterrupt`` propagates."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child_main, args=(sender, fn, args), daemon=True)
    process.start()
    sender.close()
    try:
        try:
            status, payload = receiver.recv()
        except EOFError:
            process.join()
            raise RuntimeError(
                f"the child process running {getattr(fn, '__qualname__', fn)} died "
                f"(exit code {process.exitcode})"
            ) from None
        process.join()
    except BaseException:
        stop_processes([process], grace_s=grace_s)
        raise
    finally:
        receiver.close()
    if status == "ok":
        return payload
    exc, text = payload
    if exc is not None:
        raise exc
    raise ChildProcessFailed(f"in the child process:\n{text}")
