"""One keyboard reader per process, shared by every user of keys (teleoperators, the record
loop's controls): :func:`open_keyboard`.

A terminal can only be read by one reader, so the back end is shared: the first
:func:`open_keyboard` starts it, each caller gets its own :class:`Keyboard` (its own queue of
events), and the back end stops when the last one is closed.

Back ends: ``"terminal"`` (:mod:`lr_robots.keyboard.terminal`: any terminal, over SSH too),
``"pynput"`` (:mod:`lr_robots.keyboard.pynput_backend`: a desktop session), ``"auto"``: pynput
when it is installed and can capture keys here (an X11/macOS/Windows desktop, as LeRobot
uses it), else the terminal.
"""

from __future__ import annotations

import collections
import threading
from types import TracebackType
from typing import Any, Self

from lr_core.errors import ConfigError
from lr_robots.keyboard.events import KeyEvent

BACKENDS = ("auto", "terminal", "pynput")

_lock = threading.Lock()
_backend: Any = None
_backend_key: tuple[str, tuple[Any, ...]] | None = None
_subscribers: list[Keyboard] = []


def _dispatch(event: KeyEvent) -> None:
    with _lock:
        subscribers = list(_subscribers)
    for keyboard in subscribers:
        keyboard._queue.append(event)


def choose_backend(backend: str) -> str:
    """The back end ``"auto"`` resolves to here (``"pynput"`` or ``"terminal"``)."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown keyboard backend {backend!r}; use {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    import importlib.util

    from lr_robots.keyboard.pynput_backend import pynput_can_capture

    if importlib.util.find_spec("pynput") is not None and pynput_can_capture():
        return "pynput"
    return "terminal"


def _make_backend(name: str, options: dict[str, Any]) -> Any:
    if name == "pynput":
        from lr_robots.keyboard.pynput_backend import PynputKeyboard

        return PynputKeyboard(on_event=_dispatch)
    from lr_robots.keyboard.terminal import TerminalKeyboard

    return TerminalKeyboard(on_event=_dispatch, **options)


class Keyboard:
    """One user's view of the shared keyboard: :meth:`pressed` keys, its own :meth:`events`.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._queue: collections.deque[KeyEvent] = collections.deque(maxlen=4096)
        self.closed = False

    @property
    def backend_name(self) -> str:
        """``"terminal"`` or ``"pynput"``."""
        return str(self._backend.name)

    @property
    def reports_release(self) -> bool:
        """Whether key releases are real (pynput, kitty protocol) or inferred from silence."""
        return bool(self._backend.reports_release)

    def pressed(self) -> frozenset[str]:
        """The keys down now (see :mod:`lr_robots.keyboard.events` for the names)."""
        return self._backend.held.pressed()

    def events(self) -> list[KeyEvent]:
        """The presses and releases since the last call (oldest first)."""
        self._backend.held.pressed()  # turn silent terminal keys into releases
        out = []
        while self._queue:
            out.append(self._queue.popleft())
        return out

    def close(self) -> None:
        """Stop receiving; the last user's close stops the back end and restores the terminal."""
        global _backend, _backend_key
        if self.closed:
            return
        self.closed = True
        with _lock:
            if self in _subscribers:
                _subscribers.remove(self)
            last = not _subscribers and _backend is self._backend
            if last:
                _backend, _backend_key = None, None
        if last:
            self._backend.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_keyboard(backend: str = "auto", **options: Any) -> Keyboard:
    """A :class:`Keyboard` on the shared back end, starting it if needed.

    ``options`` go to the terminal back end (``fd``, ``hold_s``, ``kitty``,
    ``negotiate_timeout_s``) and apply when it starts: a later caller joins the running back
    end as it is. Asking for another back end while one runs is a :class:`ConfigError`.

    Raises:
        ConfigError, HardwareError (no terminal / display), MissingDependencyError (pynput).
    """
    global _backend, _backend_key
    name = choose_backend(backend)
    key = (name, tuple(sorted(options.items())))
    with _lock:
        if _backend is not None and _backend_key is not None and _backend_key[0] != name:
            raise ConfigError(
                f"the keyboard is already open with the {_backend_key[0]!r} back end; close it "
                f"before opening it with {name!r}"
            )
        started = _backend is None
        if started:
            _backend = _make_backend(name, options)
            _backend_key = key
        keyboard = Keyboard(_backend)
        _subscribers.append(keyboard)
    if started:
        try:
            keyboard._backend.start()
        except BaseException:
            with _lock:
                _subscribers.remove(keyboard)
                _backend, _backend_key = None, None
            raise
    return keyboard
