"""A local web viewer of a dataset's episodes: ``lr dataset viz --mode=web``.

One page (``viewer.html``, no external scripts or fonts: it works offline) shows the episode
list, the task, each camera's video and a plot per numeric feature (state, action...) with a
cursor, all on one clock: the first video plays, the others follow it within a frame, and the
plots' cursor and the frame counter follow it too (a timer runs the clock when there is no
video). ``?episode=N`` picks the episode, ``&t=SECONDS`` opens it paused at that time.

The server (:func:`serve_viewer`, Python's ``ThreadingHTTPServer`` on 127.0.0.1 by default)
answers:

- ``/`` the page; ``/api/episodes`` the episode list; ``/api/episode/N`` one episode's data
  (:func:`episode_payload`);
- ``/files/<path>`` a file of the dataset (the MP4s) with HTTP range requests, which browsers
  need to seek in a video. Only files of the dataset are served: paths are resolved and must
  stay inside its folder.
"""

from __future__ import annotations

import json
import mimetypes
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np

from lr_core.errors import ConfigError

PAGE = Path(__file__).with_name("viewer.html")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_SKIP = ("timestamp", "frame_index", "episode_index", "index", "task_index")


def episode_list(meta: Any) -> list[dict[str, Any]]:
    """``[{"episode_index", "length", "tasks"}]`` of every episode."""
    episodes = meta.episodes
    return [
        {
            "episode_index": int(i),
            "length": int(episodes[i]["length"]),
            "tasks": list(episodes[i]["tasks"]),
        }
        for i in range(meta.total_episodes)
    ]


def episode_payload(dataset: Any, episode_index: int) -> dict[str, Any]:
    """Everything the page draws for one episode: fps, length, tasks, each numeric feature's
    names and values (``[frame][dim]``), each camera's MP4 (``/files/...``) and the episode's
    ``[from, to)`` seconds in it.

    Raises:
        ConfigError: no such episode.
    """
    meta = dataset.meta
    if not 0 <= episode_index < meta.total_episodes:
        raise ConfigError(
            f"episode {episode_index}: the dataset has episodes 0..{meta.total_episodes - 1}"
        )
    row = meta.episodes[episode_index]
    series = []
    for key, spec in meta.features.items():
        if spec.dtype in ("video", "image", "string", "language") or key in _SKIP:
            continue
        values = np.asarray(dataset.column(key, episode_index), dtype=np.float64)
        values = values.reshape(values.shape[0], -1)
        names = list(spec.names or [])
        if len(names) != values.shape[1]:
            names = [f"{key}[{j}]" for j in range(values.shape[1])]
        series.append({"key": key, "names": names, "values": np.round(values, 5).tolist()})
    videos = []
    for key in meta.video_keys:
        path = meta.root / str(meta.video_path).format(
            video_key=key,
            chunk_index=int(row[f"videos/{key}/chunk_index"]),
            file_index=int(row[f"videos/{key}/file_index"]),
        )
        videos.append(
            {
                "key": key,
                "url": "/files/" + path.relative_to(meta.root).as_posix(),
                "from": float(row[f"videos/{key}/from_timestamp"]),
                "to": float(row[f"videos/{key}/to_timestamp"]),
            }
        )
    return {
        "repo_id": meta.repo_id,
        "episode_index": episode_index,
        "fps": meta.fps,
        "length": int(row["length"]),
        "tasks": list(row["tasks"]),
        "robot_type": meta.robot_type,
        "series": series,
        "videos": videos,
        "episodes": episode_list(meta),
    }


class _Handler(BaseHTTPRequestHandler):
    server: _ViewerServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the command prints the URL
        pass

    def do_GET(self) -> None:
        path = unquote(urlparse(self.path).path)
        try:
            if path in ("/", "/index.html"):
                self._send(200, PAGE.read_bytes(), "text/html; charset=utf-8")
            elif path == "/api/episodes":
                self._json(episode_list(self.server.dataset.meta))
            elif path.startswith("/api/episode/"):
                index = int(path.rsplit("/", 1)[1])
                self._json(self.server.payload(index))
            elif path.startswith("/files/"):
                self._file(path.removeprefix("/files/"))
            else:
                self._send(404, b"not found", "text/plain")
        except (ConfigError, ValueError) as exc:
            self._send(404, str(exc).encode(), "text/plain; charset=utf-8")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, data: Any) -> None:
        self._send(200, json.dumps(data).encode(), "application/json")

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None
              ) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _file(self, rel: str) -> None:
        root = self.server.root
        target = (root / rel).resolve()
        if root not in target.parents or not target.is_file():
            self._send(404, b"not a file of this dataset", "text/plain")
            return
        size = target.stat().st_size
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        match = _RANGE.match(self.headers.get("Range", ""))
        start, end = 0, size - 1
        status = 200
        if match and (match[1] or match[2]):
            if match[1]:
                start = int(match[1])
                end = int(match[2]) if match[2] else size - 1
            else:  # the last N bytes
                start = max(0, size - int(match[2]))
            end = min(end, size - 1)
            if start > end:
                self._send(416, b"", kind, {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        with open(target, "rb") as handle:
            handle.seek(start)
            body = handle.read(end - start + 1)
        extra = {"Accept-Ranges": "bytes"}
        if status == 206:
            extra["Content-Range"] = f"bytes {start}-{end}/{size}"
        self._send(status, body, kind, extra)


class _ViewerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], dataset: Any) -> None:
        super().__init__(address, _Handler)
        self.dataset = dataset
        self.root = Path(dataset.meta.root).resolve()
        self._lock = threading.Lock()
        self._cache: dict[int, dict[str, Any]] = {}

    def payload(self, index: int) -> dict[str, Any]:
        with self._lock:
            if index not in self._cache:
                self._cache[index] = episode_payload(self.dataset, index)
            return self._cache[index]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


def serve_viewer(dataset: Any, host: str = "127.0.0.1", port: int = 0) -> _ViewerServer:
    """Start the viewer's server on a thread (``port`` 0: any free port); returns it (``.url``,
    ``.shutdown()``)."""
    server = _ViewerServer((host, port), dataset)
    threading.Thread(target=server.serve_forever, name="lr-viz-web", daemon=True).start()
    return server
