"""Where a streamed dataset's files come from: a local folder, or a URL read by byte ranges.

- ``http://`` / ``https://``: range requests (``Range: bytes=a-b`` answered by ``206``) over
  ``http.client`` keep-alive connections, one per thread and process (safe in forked DataLoader
  workers), redirects followed, timeouts on connect and on every read.
- Any other scheme (``hf://datasets/<user>/<name>@<revision>``, ``s3://``, ``gs://``,
  ``memory://``...): fsspec's ``cat_file(path, start, end)``; the file system is built lazily in
  each process.
- A repo id without a local copy streams from ``hf://datasets/<repo_id>@v3.0``.

Every read of a remote file goes through :meth:`RemoteFiles.read`: bounded retries with
exponential backoff for failures that can pass (refused or reset connections, timeouts, HTTP
408/425/429/5xx), then :class:`~lr_dataset.errors.DatasetFetchError` naming the URL, the byte
range and the last failure. A missing file (404) fails at once with
:class:`~lr_dataset.errors.DatasetFormatError`. Nothing waits without a timeout.
"""

from __future__ import annotations

import copy
import hashlib
import http.client
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from lr_core.paths import dataset_root, lerobot_home
from lr_dataset import layout
from lr_dataset.errors import DatasetFetchError, DatasetFormatError

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: HTTP statuses worth retrying
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0


def is_url(root: object) -> bool:
    """True when ``root`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(root, str) and "://" in root and not root.startswith("file://")


def resolve_location(
    repo_id: str,
    root: str | Path | None,
    revision: str | None = None,
    repo_type: str = "dataset",
) -> str | Path:
    """The folder or URL a streamed dataset is read from.

    ``root`` given: that folder or URL (``file://`` becomes a path). Otherwise the local copy
    ``$HF_LEROBOT_HOME/<repo_id>`` when it exists, else the Hub:
    ``hf://datasets/<repo_id>@<revision or v3.0>`` (``hf://buckets/<repo_id>`` for
    ``repo_type="bucket"``).
    """
    if repo_type not in ("dataset", "bucket"):
        raise ValueError(f"repo_type must be 'dataset' or 'bucket', got {repo_type!r}")
    if root is not None:
        text = str(root)
        if text.startswith("file://"):
            return Path(urllib.parse.urlparse(text).path)
        return text.rstrip("/") if is_url(text) else Path(root).expanduser()
    if repo_type == "bucket":
        return f"hf://buckets/{repo_id}"
    local = dataset_root(repo_id)
    if (local / layout.INFO_PATH).is_file():
        return local
    return f"hf://datasets/{repo_id}@{revision or layout.CODEBASE_VERSION}"


class _NotFound(Exception):
    """The server says the file does not exist (not worth retrying)."""


class _Refused(Exception):
    """The server refuses the request for good (401, 403, other 4xx)."""


class _Transient(Exception):
    """A failure that may pass (HTTP 5xx, 429...)."""


# ---------------------------------------------------------------------------------- HTTP
class HttpClient:
    """Byte-range reads over HTTP(S) with keep-alive connections per (process, thread)."""

    def __init__(self, timeout_s: float = 30.0, headers: Mapping[str, str] | None = None) -> None:
        self.timeout_s = timeout_s
        self.headers = dict(headers or {})
        self._local = threading.local()
        self._warned_no_ranges = False

    def __getstate__(self) -> dict[str, Any]:
        return {"timeout_s": self.timeout_s, "headers": self.headers}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.pid = os.getpid()
            local.conns = {}
        conn = local.conns.get((scheme, netloc))
        if conn is None:
            cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            conn = cls(netloc, timeout=self.timeout_s)
            local.conns[(scheme, netloc)] = conn
        return conn

    def _drop(self, scheme: str, netloc: str) -> None:
        conn = self._local.conns.pop((scheme, netloc), None)
        if conn is not None:
            conn.close()

    def request(
        self, method: str, url: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """``(status, headers, body)`` of one request, following up to 5 redirects (credentials
        are not sent on to another host)."""
        origin = urllib.parse.urlsplit(url).netloc
        for _ in range(6):
            parts = urllib.parse.urlsplit(url)
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            all_headers = {**self.headers, **(headers or {})}
            if parts.netloc != origin:
                all_headers = {
                    k: v
                    for k, v in all_headers.items()
                    if k.lower() not in ("authorization", "cookie")
                }
            response, body = self._send(parts.scheme, parts.netloc, method, target, all_headers)
            if response.getheader("Connection", "").lower() == "close":
                self._drop(parts.scheme, parts.netloc)
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urllib.parse.urljoin(url, response.getheader("Location"))
                continue
            return response.status, response.headers, body
        raise _Refused(f"{url}: too many redirects")

    def _send(
        self, scheme: str, netloc: str, method: str, target: str, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        for attempt in range(2):
            conn = self._connection(scheme, netloc)
            reused = conn.sock is not None
            try:
                conn.request(method, target, headers=headers)
                response = conn.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop(scheme, netloc)
                if not reused or attempt:
                    raise
                # a keep-alive connection the server had closed: once more on a fresh one
            except BaseException:
                self._drop(scheme, netloc)
                raise
        raise AssertionError("unreachable")

    @staticmethod
    def _check(status: int, url: str) -> None:
        if status in (404, 410):
            raise _NotFound(f"{url} not found (HTTP {status})")
        if status in TRANSIENT_STATUS:
            raise _Transient(f"{url}: HTTP {status}")
        if status in (401, 403):
            raise _Refused(
                f"{url}: HTTP {status} (not authorised: pass headers/token for a private dataset)"
            )
        if status >= 400:
            raise _Refused(f"{url}: HTTP {status}")

    def size(self, url: str) -> int:
        """Size of the file at ``url`` in bytes."""
        status, headers, _ = self.request("HEAD", url)
        self._check(status, url)
        length = headers.get("Content-Length")
        if length is None:  # no size on HEAD: ask for one byte
            status, headers, _ = self.request("GET", url, {"Range": "bytes=0-0"})
            self._check(status, url)
            total = (headers.get("Content-Range") or "").rpartition("/")[2]
            if not total.isdigit():
                raise _Refused(f"{url}: the server gives no file size")
            return int(total)
        return int(length)

    def read(self, url: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the file at ``url``."""
        status, headers, body = self.request("GET", url, {"Range": f"bytes={start}-{end - 1}"})
        self._check(status, url)
        if status == 206:
            span = (headers.get("Content-Range") or "").split()[-1].partition("/")[0]
            if span != f"{start}-{end - 1}" or len(body) != end - start:
                raise _Transient(
                    f"{url}: asked for bytes {start}-{end - 1}, got {span or '?'} "
                    f"({len(body)} bytes)"
                )
            return body
        if status == 200:
            if not self._warned_no_ranges:
                self._warned_no_ranges = True
                logger.warning(
                    "%s: the server ignores range requests and sends whole files; streaming "
                    "works but reads far more than it needs",
                    url,
                )
            if len(body) < end:
                raise _Transient(f"{url}: {len(body)} bytes received, {end} needed")
            return body[start:end]
        raise _Refused(f"{url}: unexpected HTTP {status} to a range request")


# ---------------------------------------------------------------------------------- sources
class LocalFiles:
    """A dataset folder on local disk: nothing is fetched, files are read where they are."""

    is_remote = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self, relative: str) -> str:
        """The file's full name, for messages."""
        return str(self.root / relative)

    def path(self, relative: str) -> Path:
        """The file on disk."""
        return self.root / relative

    def __repr__(self) -> str:
        return f"LocalFiles('{self.root}')"


class RemoteFiles:
    """A dataset root given as a URL, read by byte ranges with bounded retries (module doc)."""

    is_remote = True

    def __init__(
        self,
        url: str,
        *,
        retries: int = 4,
        backoff_s: float = 0.5,
        timeout_s: float = 30.0,
        headers: Mapping[str, str] | None = None,
        storage_options: Mapping[str, Any] | None = None,
    ) -> None:
        if retries < 0 or backoff_s < 0 or timeout_s <= 0:
            raise ValueError("retries and backoff_s must be >= 0 and timeout_s > 0")
        self.url = url.rstrip("/")
        self.scheme = urllib.parse.urlsplit(self.url).scheme.lower()
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.storage_options = dict(storage_options or {})
        self.http = HttpClient(timeout_s, headers) if self.scheme in ("http", "https") else None
        self._fs: Any = None
        self._fs_pid: int | None = None
        self._closed = threading.Event()
        self.requests = 0  # range reads issued in this process (retries included)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fs"] = None
        state["_fs_pid"] = None
        state["_closed"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._closed = threading.Event()

    def describe(self, relative: str) -> str:
        """The file's URL, for messages."""
        return f"{self.url}/{relative}"

    def close(self) -> None:
        """Cut retry waits short (the stream is being shut down)."""
        self._closed.set()

    def clone(self) -> RemoteFiles:
        """A copy for one consumer: closing it does not close the others."""
        other = copy.copy(self)
        other._closed = threading.Event()
        other.requests = 0
        return other

    def _filesystem(self) -> tuple[Any, str]:
        if self._fs is None or self._fs_pid != os.getpid():
            import fsspec

            self._fs, self._base = fsspec.core.url_to_fs(self.url, **self.storage_options)
            self._fs_pid = os.getpid()
        return self._fs, self._base

    def _fs_call(self, fn: Callable[[Any, str], T], relative: str) -> T:
        fs, base = self._filesystem()
        try:
            return fn(fs, f"{base.rstrip('/')}/{relative}")
        except FileNotFoundError as exc:
            raise _NotFound(f"{self.describe(relative)} not found") from exc
        except PermissionError as exc:
            raise _Refused(f"{self.describe(relative)}: permission denied ({exc})") from exc

    def _retrying(self, what: str, call: Callable[[], T]) -> T:
        delay = self.backoff_s
        started = time.monotonic()
        last: BaseException | None = None
        for attempt in range(self.retries + 1):
            try:
                return call()
            except _NotFound as exc:
                raise DatasetFormatError(str(exc)) from None
            except _Refused as exc:
                raise DatasetFetchError(f"{what}: {exc}") from None
            except (_Transient, OSError, http.client.HTTPException, TimeoutError) as exc:
                last = exc
            except Exception as exc:  # fsspec back ends raise their own client errors
                if self.http is not None:
                    raise
                last = exc
            if attempt < self.retries:
                logger.info("%s failed (%s); retrying in %.2f s", what, last, delay)
                if self._closed.wait(delay):
                    break
                delay = min(2 * delay if delay else 0.0, MAX_BACKOFF_S)
        raise DatasetFetchError(
            f"{what}: failed {attempt + 1} time(s) in {time.monotonic() - started:.1f} s "
            f"(retries={self.retries}, backoff from {self.backoff_s} s); last error: "
            f"{type(last).__name__}: {last}"
        ) from last

    def size(self, relative: str) -> int:
        """Size in bytes of ``relative`` on the server."""
        url = self.describe(relative)
        if self.http is not None:
            return self._retrying(f"size of {url}", lambda: self.http.size(url))
        info = self._retrying(
            f"size of {url}", lambda: self._fs_call(lambda fs, p: fs.info(p), relative)
        )
        if info.get("size") is None:
            raise DatasetFetchError(f"{url}: the server gives no file size")
        return int(info["size"])

    def read(self, relative: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of ``relative``."""
        if end <= start:
            return b""
        url = self.describe(relative)

        def call() -> bytes:
            self.requests += 1
            if self.http is not None:
                return self.http.read(url, start, end)
            data = self._fs_call(lambda fs, p: fs.cat_file(p, start=start, end=end), relative)
            if len(data) != end - start:
                raise _Transient(f"{url}: {len(data)} bytes for range {start}-{end - 1}")
            return bytes(data)

        return self._retrying(f"reading bytes {start}-{end - 1} of {url}", call)

    def read_all(self, relative: str) -> bytes:
        """The whole file."""
        return self.read(relative, 0, self.size(relative))

    def exists(self, relative: str) -> bool:
        """Whether the server has ``relative``."""
        try:
            self.size(relative)
        except DatasetFormatError:
            return False
        return True

    def __repr__(self) -> str:
        return f"RemoteFiles({self.url!r})"


def metadata_cache(url: str, cache_dir: Path | None = None) -> Path:
    """The local folder holding a URL's ``meta/`` files."""
    digest = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    base = Path(cache_dir) if cache_dir is not None else lerobot_home() / "stream-cache"
    return base / "meta" / digest


def _write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` by renaming a temporary file (no fsync: this is a cache;
    a file cut short by a crash has the wrong size and is fetched again)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def fetch_metadata(files: RemoteFiles, folder: Path) -> Path:
    """Copy the dataset's ``meta/`` files (info, stats, tasks, episodes) from ``files`` into
    ``folder`` and return it; episodes files the server no longer has are removed. A file whose
    size on the server is unchanged is kept."""
    from lr_dataset.info import DatasetInfo

    try:
        _write(folder / layout.INFO_PATH, files.read_all(layout.INFO_PATH))
    except DatasetFormatError as exc:
        raise DatasetFormatError(
            f"{files.describe(layout.INFO_PATH)} not found: not a LeRobot v3.0 dataset URL"
        ) from exc
    for optional in (layout.STATS_PATH, layout.TASKS_PATH):
        try:
            _write(folder / optional, files.read_all(optional))
        except DatasetFormatError:  # not on the server (any more)
            (folder / optional).unlink(missing_ok=True)
    info = DatasetInfo.load(folder)
    episodes_dir = folder / layout.EPISODES_DIR
    stale = set(episodes_dir.rglob("*.parquet")) if episodes_dir.exists() else set()
    loc = (0, 0)
    while True:
        relative = layout.EPISODES_PATH.format(chunk_index=loc[0], file_index=loc[1])
        try:
            size = files.size(relative)
        except DatasetFormatError:
            break
        local = folder / relative
        stale.discard(local)
        if not (local.is_file() and local.stat().st_size == size):
            _write(local, files.read(relative, 0, size))
        loc = layout.next_file(*loc, info.chunks_size)
    for path in stale:
        path.unlink()
    return folder
