"""An HTTP server on 127.0.0.1 serving a folder with range requests: a stand-in for the Hub or
object storage in tests and benchmarks (nothing here reaches past loopback).

::

    with LoopbackServer("data/pick") as server:
        ds = StreamingLeRobotDataset("user/pick", root=server.url)

    python -m lr_dataset.streaming.loopback data/   # prints "serving http://127.0.0.1:PORT"

HTTP/1.1 with keep-alive, ``HEAD``, ``GET`` and ``Range: bytes=a-b`` (``206`` with
``Content-Range``; ``416`` outside the file or for a header that is not one byte range).
:func:`byte_range` reads a ``Range`` header; :class:`~lr_dataset.local_hub.LocalHub` serves its
ranges with it too. :attr:`LoopbackServer.requests` logs every request;
:meth:`LoopbackServer.fail` makes the next requests for a path answer an error status.
"""

from __future__ import annotations

import argparse
import os
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """A well-formed byte range that lies outside the file (HTTP ``416``)."""


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive ``(start, end)`` bytes a ``Range`` header asks of a ``size``-byte file.

    One range of RFC 9110 section 14.1.2: ``bytes=a-b`` (``b`` clipped to the file), ``bytes=a-``
    (to the end), ``bytes=-n`` (the last ``n`` bytes). ``None`` when the header is not one such
    range (the caller answers ``416`` or the whole file).

    Raises:
        RangeNotSatisfiable: the range starts past the end of the file, ends before it starts,
            or asks for the last bytes of an empty file.
    """
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None
    if match.group(1):
        start = int(match.group(1))
        end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
    else:  # the last N bytes
        start, end = max(0, size - int(match.group(2))), size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(f"{header!r} of a {size}-byte file")
    return start, end


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    folder: Path
    requests: list[tuple[str, str, str | None]]
    faults: dict[str, list[int]]
    lock: threading.Lock


class RangeRequestHandler(BaseHTTPRequestHandler):
    """Serves files of ``server.folder`` with range support."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stalls
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _file(self) -> Path | None:
        relative = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        path = (self.server.folder / relative).resolve()
        if self.server.folder not in path.parents and path != self.server.folder:
            return None
        return path if path.is_file() else None

    def _fault(self) -> int | None:
        with self.server.lock:
            for fragment, statuses in self.server.faults.items():
                if fragment in self.path and statuses:
                    return statuses.pop(0)
        return None

    def _reply(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        wanted = self.headers.get("Range")
        with self.server.lock:
            self.server.requests.append((self.command, self.path, wanted))
        status = self._fault()
        if status is not None:
            self._reply(status, {"Content-Length": "0"})
            return
        path = self._file()
        if path is None:
            self._reply(404, {"Content-Length": "0"})
            return
        size = path.stat().st_size
        common = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if wanted is None:
            body = path.read_bytes() if self.command == "GET" else b""
            self._reply(200, {**common, "Content-Length": str(size)}, body)
            return
        try:
            wanted_bytes = byte_range(wanted, size)
        except RangeNotSatisfiable:
            wanted_bytes = None
        if wanted_bytes is None:
            self._reply(416, {"Content-Range": f"bytes */{size}", "Content-Length": "0"})
            return
        start, end = wanted_bytes
        with open(path, "rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        headers = {
            **common,
            "Content-Length": str(len(body)),
            "Content-Range": f"bytes {start}-{end}/{size}",
        }
        self._reply(206, headers, body)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()


class BackgroundServer:
    """An HTTP server (``self._server``, set by the subclass) answering from a daemon thread:
    :attr:`url`, :meth:`start`, :meth:`stop`, and ``with`` for both. The base of
    :class:`LoopbackServer` and :class:`~lr_dataset.local_hub.LocalHub`."""

    _server: ThreadingHTTPServer
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://<host>:<port>`` (``http://127.0.0.1:<port>``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LoopbackServer(BackgroundServer):
    """A threaded HTTP server for ``folder`` on ``127.0.0.1`` (see the module docstring)."""

    _server: _Server

    def __init__(self, folder: str | Path, port: int = 0) -> None:
        self.folder = Path(folder).resolve()
        self._server = _Server(("127.0.0.1", port), RangeRequestHandler)
        self._server.folder = self.folder
        self._server.requests = []
        self._server.faults = {}
        self._server.lock = threading.Lock()

    @property
    def requests(self) -> list[tuple[str, str, str | None]]:
        """``(method, path, Range header or None)`` of every request so far."""
        return self._server.requests

    def fail(self, fragment: str, times: int, status: int = 503) -> None:
        """Answer the next ``times`` requests whose path contains ``fragment`` with ``status``."""
        with self._server.lock:
            self._server.faults.setdefault(fragment, []).extend([status] * times)


def main(argv: list[str] | None = None) -> None:
    """``python -m lr_dataset.streaming.loopback FOLDER [--port N]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = LoopbackServer(args.folder, args.port)
    print(f"serving {server.url}", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
        os._exit(0)


if __name__ == "__main__":
    main()
