"""Encoding one camera's episode in a child process, encoded again from a raw spool on a hang.

SVT-AV1 (``libsvtav1``) now and then never returns from a flush (docs/dataset.md, "When the AV1
encoder hangs"); a call into FFmpeg cannot be interrupted, so the only cure is to encode in a
process that can be killed. :class:`ProcessEpisodeEncoder` has the interface of
:class:`~lr_dataset.video.encode.EpisodeEncoder` (``put`` / ``stop`` / ``finish`` / ``cancel``):

- a feeder thread keeps every frame in a :class:`~lr_dataset.video.spool.RawSpool` (memory,
  then a file beside the MP4), updates the stats and writes the frame to an encoder process
  (:mod:`lr_dataset.video.encoder_child`, a fresh interpreter started with ``subprocess``: no
  fork of the recorder) through a pipe;
- every wait for that process has a deadline: ``watchdog_s`` for opening and for each frame,
  ``max(watchdog_s, FLUSH_S_PER_FRAME x frames)`` for the flush. A process that misses one (or
  dies, or reports an error) is killed and the episode is encoded again from the spool in a
  fresh process, up to ``retries`` times with deadlines doubled each time; then
  :class:`~lr_dataset.errors.VideoEncoderError` names the file, codec and step, and the spool
  stays on disk (its path in the message);
- processes are reused for later episodes (an idle pool), so the start (0.32 s of CPU) is paid
  once per camera, not per episode; at most :data:`MAX_PROCESSES` run at once (a new episode
  waits for one). A process exits when the recorder does (its stdin closes, or its parent
  disappears: a hung one too).
- :meth:`~ProcessEpisodeEncoder.stop` never blocks, so the writer stops an episode's encoders
  in ``save_episode`` and the flush runs at once, whatever the committer's backlog.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from lr_dataset.errors import VideoEncoderError
from lr_dataset.stats import ImageStats
from lr_dataset.video.encoder_child import HEADER
from lr_dataset.video.spool import SPOOL_MEMORY_BYTES, RawSpool

#: codecs encoded in a child process by default (the others never hung: in-process threads).
#: None on Windows: the parent's pipe handling (``select.poll``, non-blocking pipes) is POSIX
#: only, so there every codec is encoded in a thread of the recorder, as before.
PROCESS_CODECS = frozenset() if sys.platform == "win32" else frozenset({"libsvtav1"})
#: seconds a new encoder process may take to start (interpreter + PyAV import: 0.32 s of
#: CPU, longer on a loaded machine); opening its encoder then has ``watchdog_s``
START_TIMEOUT_S = 60.0
#: seconds opening the encoder or encoding one frame may take in a running process
WATCHDOG_S = 10.0
#: flush deadline per frame of the episode (``max(watchdog_s, this x frames)``)
FLUSH_S_PER_FRAME = 0.05
#: fresh processes an episode is encoded in from its spool after a hang, before giving up
RETRIES = 2
#: idle encoder processes kept for later episodes
MAX_IDLE = 8
#: encoder processes (60-140 MB each) beyond which a new episode waits for one to finish
#: (:data:`ACQUIRE_WAIT_S` at most), so a backlog cannot start one per episode
MAX_PROCESSES = 8
ACQUIRE_WAIT_S = 30.0
#: tests only: ``"<part of the MP4 name>,<step>,<attempts>"``: the encoder process of the first
#: ``attempts`` attempts at a matching file stops answering at ``step`` (``open``, ``frame:N``,
#: ``flush``), as a hung SVT-AV1 does
TEST_HANG_ENV = "LR_ENCODER_TEST_HANG"

logger = logging.getLogger(__name__)


class _Stuck(Exception):
    """The encoder process missed a deadline."""


class _Failed(Exception):
    """The encoder process died or reported an error."""


class _Child:
    """One encoder process and the parent's ends of its pipes (non-blocking, with deadlines)."""

    def __init__(self) -> None:
        env = dict(os.environ)
        env.setdefault("SVT_LOG", "1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lr_dataset.video.encoder_child"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)
        self._buffer = bytearray()
        self.ready = False  # its "ready" message (interpreter and PyAV loaded) was received

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, tag: bytes, payload: Any, deadline: float, what: str) -> None:
        """Write one message; raises :class:`_Stuck` past ``deadline``, :class:`_Failed` when
        the process is gone."""
        view = memoryview(payload).cast("B")
        self._write(memoryview(HEADER.pack(tag, view.nbytes)), deadline, what)
        self._write(view, deadline, what)

    def _write(self, view: memoryview, deadline: float, what: str) -> None:
        poller = select.poll()
        poller.register(self._in, select.POLLOUT)
        while view:
            try:
                view = view[os.write(self._in, view) :]
                continue
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                raise _Failed(self._last_words()) from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stuck(what)
            poller.poll(min(left, 1.0) * 1000)

    def receive(self, deadline: float, what: str) -> tuple[bytes, dict[str, Any]]:
        """The next message; :class:`_Failed` for an ``X`` message or a dead process."""
        poller = select.poll()
        poller.register(self._out, select.POLLIN)
        while True:
            if len(self._buffer) >= HEADER.size:
                tag, length = HEADER.unpack_from(self._buffer)
                if len(self._buffer) >= HEADER.size + length:
                    body = bytes(self._buffer[HEADER.size : HEADER.size + length])
                    del self._buffer[: HEADER.size + length]
                    message = json.loads(body) if body else {}
                    if tag == b"X":
                        raise _Failed(message.get("error", "unknown error"))
                    return tag, message
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Stuck(what)
            if poller.poll(min(left, 1.0) * 1000):
                chunk = os.read(self._out, 65536)
                if not chunk:
                    self.proc.wait()
                    raise _Failed(f"the encoder process exited (status {self.proc.returncode})")
                self._buffer += chunk

    def _last_words(self) -> str:
        """Why the process stopped reading (its error message, or its exit status)."""
        try:
            self.receive(time.monotonic() + 2.0, "its last message")
        except _Failed as exc:
            return str(exc)
        except _Stuck:
            pass
        return "the encoder process stopped reading frames"

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(5)
        self._close_pipes()
        _forget(self)

    def close(self) -> None:
        """Let the process end (stdin closed), killing it if it does not within 5 s."""
        self._close_pipes()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
        _forget(self)

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()


_idle: list[_Child] = []
_live: set[_Child] = set()  # started and not yet ended (idle or encoding)
_idle_lock = threading.Condition()


def _forget(child: _Child) -> None:
    with _idle_lock:
        _live.discard(child)
        _idle_lock.notify_all()


def _acquire() -> _Child:
    """An idle process, or a new one; while :data:`MAX_PROCESSES` are encoding (a recording
    faster than its encoders, episodes piling up) waits up to :data:`ACQUIRE_WAIT_S` for one
    to come back before starting another anyway."""
    deadline = time.monotonic() + ACQUIRE_WAIT_S
    with _idle_lock:
        while True:
            while _idle:
                child = _idle.pop()
                if child.alive:
                    return child
                child._close_pipes()  # died while idle: its pipes go with it
                _live.discard(child)
            left = deadline - time.monotonic()
            if len(_live) < MAX_PROCESSES or left <= 0:
                break
            _idle_lock.wait(left)
        child = _Child()
        _live.add(child)
        return child


def _release(child: _Child) -> None:
    with _idle_lock:
        if child.alive and len(_idle) < MAX_IDLE:
            _idle.append(child)
            _idle_lock.notify_all()
            return
    child.close()


@atexit.register
def close_idle_processes() -> None:
    """End the idle encoder processes (they also end by themselves when this process does)."""
    with _idle_lock:
        children = list(_idle)
        _idle.clear()
    for child in children:
        child.close()


def _test_hang(path: Path, attempt: int) -> str | None:
    plan = os.environ.get(TEST_HANG_ENV)
    if not plan:
        return None
    part, step, attempts = plan.rsplit(",", 2)
    return step if part in path.name and attempt < int(attempts) else None


class ProcessEpisodeEncoder:
    """Encode one camera's frames into ``path`` in a child process; see the module docstring.

    Same interface and arguments as :class:`~lr_dataset.video.encode.EpisodeEncoder`, plus
    ``retries`` and ``spool_memory_bytes``. :attr:`failures` lists what went wrong in each
    process given up (``"the flush: stuck after 10 s"``...), :attr:`spool_path` is the raw
    frames kept after the last retry failed.
    """

    def __init__(
        self,
        path: Path,
        fps: int,
        config: Any,
        *,
        max_queue: int = 120,
        threads: int | None = None,
        compute_stats: bool = True,
        size: tuple[int, int] | None = None,
        watchdog_s: float = WATCHDOG_S,
        retries: int | None = None,
        spool_memory_bytes: int = SPOOL_MEMORY_BYTES,
    ) -> None:
        self.path = path
        self.size = size
        self.fps = fps
        self.config = config
        self.threads = threads
        self.watchdog_s = watchdog_s
        self.retries = RETRIES if retries is None else retries
        self.spool_memory_bytes = spool_memory_bytes
        #: set once the encoder is open (or given up)
        self.opened = threading.Event()
        self.frames = 0
        self.stall_s = 0.0
        self.failures: list[str] = []
        self.spool_path: Path | None = None
        #: the encoder process working on this episode now (``None`` between processes)
        self.child_pid: int | None = None
        self._hung = False
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._stats = ImageStats() if compute_stats else None
        self._spool: RawSpool | None = None
        self._error: BaseException | None = None
        self._stopped = False
        self._discard = False
        self._thread = threading.Thread(
            target=self._run, name=f"lr-encode-{path.name}", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ recording thread
    def put(self, frame_hwc: np.ndarray) -> None:
        """Queue one ``uint8 (H, W, 3)`` frame (not copied: the caller must not reuse it)."""
        self._raise_if_failed()
        try:
            self._queue.put_nowait(frame_hwc)
        except queue.Full:
            start = time.perf_counter()
            self._put_waiting(frame_hwc)
            self.stall_s += time.perf_counter() - start
        self.frames += 1

    def _put_waiting(self, item: np.ndarray) -> None:
        """Queue ``item`` once the feeder made room (it never waits without a deadline)."""
        while True:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self._thread.is_alive():  # it failed: nothing will take the item
                    self._raise_if_failed()
                    return

    @property
    def hung(self) -> bool:
        """The episode could not be encoded because its encoder processes hung."""
        return self._hung

    def stop(self, *, discard: bool = False) -> None:
        """No frame will come (``discard``: drop the episode); never blocks: the flush starts
        once the queued frames are sent, and :meth:`finish` or :meth:`cancel` waits for it."""
        if discard:
            self._discard = True  # what is still queued is skipped
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
        self._stopped = True

    def finish(self) -> dict[str, np.ndarray] | None:
        """Wait for the MP4 and return the stats (``None`` if no frame).

        Raises:
            VideoEncoderError: every attempt failed (the raw frames stay at :attr:`spool_path`).
        """
        self.stop()
        self._thread.join()
        self._raise_if_failed()
        if self.frames == 0 or self._stats is None:
            return None
        with open(self.path, "rb") as handle:
            os.fsync(handle.fileno())
        return self._stats.result()

    def cancel(self) -> None:
        """Drop the episode: the encoding stops, the partial file and the spool are deleted."""
        self.stop(discard=True)
        self._thread.join()
        self.path.unlink(missing_ok=True)

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            if isinstance(self._error, VideoEncoderError):
                raise self._error
            raise VideoEncoderError(f"encoding {self.path} failed: {self._error}") from self._error

    # ------------------------------------------------------------------ feeder thread
    def _run(self) -> None:
        child: _Child | None = None
        started = False
        index = 0
        try:
            if self.size is not None:
                started = True
                child = self._start(*self.size, attempt=0)
            while True:
                try:
                    item = self._queue.get(timeout=0.05)
                except queue.Empty:
                    # stop() comes after the last put: once it is seen, an empty queue is the end
                    if self._stopped and self._queue.empty():
                        break
                    continue
                if self._discard:
                    continue
                if self._spool is None:
                    h, w = item.shape[:2]
                    spool_file = self.path.with_name(f"{self.path.stem}.{h}x{w}.rgb24")
                    self._spool = RawSpool(spool_file, self.spool_memory_bytes)
                self._spool.append(item)
                if self._stats is not None:
                    self._stats.update(item)
                if not started:
                    started = True
                    child = self._start(*item.shape[:2], attempt=0)
                if child is not None:
                    child = self._send_frame(child, item, index, 1.0)
                index += 1
            if self._discard:
                if child is not None:
                    self._end(child, index, 1.0)
                return
            if child is None and index == 0:  # no frame, never opened: nothing to write
                return
            done = child is not None and self._end(child, index, 1.0)
            attempt = 1
            while not done and attempt <= self.retries:
                done = self._encode_from_spool(attempt)
                attempt += 1
            if done:
                if self.failures:
                    logger.warning(
                        "%s: encoded from its %d raw frames in a fresh process after: %s",
                        self.path, index, "; ".join(self.failures),
                    )  # fmt: skip
                return
            self._give_up(index)
        except BaseException as exc:  # reported to the recording thread
            self._error = exc
            if child is not None:
                child.kill()
        finally:
            if self._spool is not None and self.spool_path is None:
                self._spool.discard()
            self.opened.set()

    def _start(self, height: int, width: int, attempt: int) -> _Child | None:
        """A process with this episode's encoder open (``None``: it failed, noted)."""
        scale = 2.0**attempt
        try:
            child = _acquire()
        except OSError as exc:
            self.failures.append(f"starting the encoder process: {exc}")
            return None
        header = {
            "path": str(self.path),
            "width": width,
            "height": height,
            "fps": self.fps,
            "vcodec": self.config.vcodec,
            "pix_fmt": self.config.pix_fmt,
            "options": self.config.codec_options(self.threads),
            "in_format": "rgb24",
            "hang": _test_hang(self.path, attempt),
        }
        wait = START_TIMEOUT_S * scale
        try:
            if not child.ready:
                child.receive(time.monotonic() + wait, "starting the encoder process")
                child.ready = True
            self.path.parent.mkdir(parents=True, exist_ok=True)
            wait = self.watchdog_s * scale
            deadline = time.monotonic() + wait
            child.send(b"O", json.dumps(header).encode(), deadline, "opening the encoder")
            child.receive(deadline, "opening the encoder")
        except (_Stuck, _Failed) as exc:
            self._note(child, exc, wait)
            return None
        self.child_pid = child.proc.pid
        self.opened.set()
        return child

    def _send_frame(
        self, child: _Child, frame: np.ndarray, index: int, scale: float
    ) -> _Child | None:
        wait = self.watchdog_s * scale
        try:
            data = np.ascontiguousarray(frame)
            child.send(b"F", data.data, time.monotonic() + wait, f"encoding frame {index}")
        except (_Stuck, _Failed) as exc:
            self._note(child, exc, wait)
            return None
        return child

    def _end(self, child: _Child, frames: int, scale: float) -> bool:
        """Flush and close the file; the process goes back to the pool. False: it failed."""
        wait = max(self.watchdog_s, FLUSH_S_PER_FRAME * frames) * scale
        try:
            deadline = time.monotonic() + wait
            child.send(b"E", b"", deadline, "the flush")
            child.receive(deadline, "the flush")
        except (_Stuck, _Failed) as exc:
            self._note(child, exc, wait)
            return False
        self.child_pid = None
        _release(child)
        return True

    def _encode_from_spool(self, attempt: int) -> bool:
        """Encode the spooled episode again in a fresh process (deadlines x 2**attempt)."""
        spool = self._spool
        if spool is None or spool.shape is None:
            return False
        self.path.unlink(missing_ok=True)
        child = self._start(*spool.shape[:2], attempt=attempt)
        scale = 2.0**attempt
        for index, frame in enumerate(spool):
            if child is None:
                return False
            child = self._send_frame(child, frame, index, scale)
        return child is not None and self._end(child, spool.frames, scale)

    def _note(self, child: _Child, exc: Exception, wait: float) -> None:
        """Kill a process that failed and remember why."""
        child.kill()
        self.child_pid = None
        self._hung = isinstance(exc, _Stuck)
        failure = f"{exc}: no answer after {wait:g} s" if self._hung else f"{exc}"
        self.failures.append(failure)
        logger.warning("%s: %s; the encoder process was killed", self.path, failure)

    def _give_up(self, frames: int) -> None:
        kept = "no frame was given"
        if self._spool is not None and self._spool.shape is not None:
            h, w = self._spool.shape[:2]
            self.spool_path = self._spool.persist()
            kept = (
                f"its {frames} frames are kept in {self.spool_path} (raw rgb24, {h}x{w}, "
                f"{self.fps} fps: np.fromfile(path, np.uint8).reshape(-1, {h}, {w}, 3))"
            )
        self._error = VideoEncoderError(
            f"encoding {self.path} with {self.config.vcodec}: {self.failures[-1]}, in each of "
            f"{len(self.failures)} encoder processes ({'; '.join(self.failures)}). This episode "
            f"is not saved; {kept}; episodes saved before it are intact (docs/dataset.md, "
            f"'When the AV1 encoder hangs'). lr record: continue with --resume=true, or record "
            f"with --dataset.rgb_encoder.vcodec=h264"
        )
