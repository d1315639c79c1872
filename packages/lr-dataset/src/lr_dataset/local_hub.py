"""A stand-in for the Hugging Face Hub on 127.0.0.1, for tests and offline rehearsals.

:class:`LocalHub` serves the part of the Hub's HTTP API that ``huggingface_hub`` uses to push
and pull dataset repos, so the real client code runs end to end with ``endpoint=hub.url``
(or ``HF_ENDPOINT``) and nothing leaves the machine:

====================================================  ========================================
route                                                 used by
====================================================  ========================================
``POST /api/repos/create``                            ``create_repo``
``POST /api/validate-yaml``                           ``create_commit`` (README.md header)
``GET  /api/datasets/<repo>[/revision/<rev>]``        ``repo_info``, ``snapshot_download``
``GET  /api/datasets/<repo>/tree/<rev>[/<path>]``     ``list_repo_tree``, ``HfFileSystem``
``POST /api/datasets/<repo>/paths-info/<rev>``        ``get_paths_info``, ``HfFileSystem``
``POST /api/datasets/<repo>/preupload/<rev>``         ``create_commit`` (every file "regular")
``POST /api/datasets/<repo>/commit/<rev>``            ``create_commit`` (NDJSON, base64 files)
``POST /api/datasets/<repo>/branch/<name>``           ``create_branch``
``POST|DELETE /api/datasets/<repo>/tag/...``          ``create_tag`` / ``delete_tag``
``GET  /api/datasets/<repo>/refs``                    ``list_repo_refs``
``HEAD|GET /datasets/<repo>/resolve/<rev>/<path>``    ``hf_hub_download`` (Range supported)
====================================================  ========================================

Repos live in memory as a list of commits (``{path: bytes}`` snapshots) with branches and tags
pointing at them. Writes need an ``Authorization`` header, as on the Hub. Errors carry the
Hub's ``X-Error-Code`` so the client raises its usual exceptions (``RevisionNotFoundError``...).
Not implemented: LFS/Xet transfers (the preupload answer makes the client inline every file),
pull requests, gated or private access control.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from lr_dataset.streaming.loopback import BackgroundServer, RangeNotSatisfiable, byte_range

_REPO = r"(?P<type>datasets|models|spaces)/(?P<repo>[^/]+/[^/]+)"


@dataclass
class _Commit:
    sha: str
    files: dict[str, bytes]
    message: str


@dataclass
class _Repo:
    repo_type: str
    repo_id: str
    private: bool = False
    commits: dict[str, _Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> _Commit | None:
        rev = unquote(revision)
        for table in (self.branches, self.tags):
            if rev in table:
                return self.commits[table[rev]]
        if rev.startswith("refs/heads/"):
            return self.resolve(rev[len("refs/heads/") :])
        return self.commits.get(rev)


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _git_blob_oid(data: bytes) -> str:
    return _sha1(b"blob " + str(len(data)).encode() + b"\0" + data)


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class LocalHub(BackgroundServer):
    """A loopback Hub: ``with LocalHub() as hub: push(..., endpoint=hub.url)``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.repos: dict[tuple[str, str], _Repo] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        hub = self

        class Handler(_Handler):
            state = hub

        self._server = ThreadingHTTPServer((host, port), Handler)

    # ------------------------------------------------------------------ inspection
    def files(self, repo_id: str, revision: str = "main", repo_type: str = "dataset") -> dict:
        """``{path: bytes}`` of a repo at ``revision`` (for assertions)."""
        repo = self.repos[(repo_type + "s", repo_id)]
        commit = repo.resolve(revision)
        if commit is None:
            raise KeyError(f"{repo_id}: no revision {revision!r}")
        return dict(commit.files)

    def tags(self, repo_id: str, repo_type: str = "dataset") -> dict[str, str]:
        """``{tag: commit sha}``."""
        return dict(self.repos[(repo_type + "s", repo_id)].tags)

    # ------------------------------------------------------------------ API
    def _repo(self, kind: str, repo_id: str) -> _Repo:
        repo = self.repos.get((kind, repo_id))
        if repo is None:
            raise _Error(404, "RepoNotFound", f"Repository {repo_id} not found")
        return repo

    def _commit(self, repo: _Repo, revision: str) -> _Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise _Error(404, "RevisionNotFound", f"Invalid rev id: {unquote(revision)}")
        return commit

    def create_repo(self, body: dict[str, Any]) -> tuple[int, dict]:
        kind = (body.get("type") or "model") + "s"
        name = body["name"]
        repo_id = f"{body['organization']}/{name}" if body.get("organization") else name
        if "/" not in repo_id:
            repo_id = f"user/{repo_id}"
        with self._lock:
            if (kind, repo_id) in self.repos:
                raise _Error(
                    409,
                    "RepoExists",
                    "You already created this repo",
                    url=f"{self.url}/{kind}/{repo_id}",
                )
            repo = _Repo(kind[:-1], repo_id, private=bool(body.get("private")))
            initial = _Commit(_sha1(f"{repo_id}:init".encode()), {}, "initial commit")
            repo.commits[initial.sha] = initial
            repo.branches["main"] = initial.sha
            self.repos[(kind, repo_id)] = repo
        return 200, {"url": f"{self.url}/{kind}/{repo_id}", "name": repo_id}

    def repo_info(self, kind: str, repo_id: str, revision: str) -> dict:
        repo = self._repo(kind, repo_id)
        commit = self._commit(repo, revision)
        return {
            "_id": _sha1(repo_id.encode())[:24],
            "id": repo_id,
            "author": repo_id.split("/")[0],
            "sha": commit.sha,
            "private": repo.private,
            "disabled": False,
            "gated": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "lastModified": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "createdAt": "2026-01-01T00:00:00.000Z",
            "siblings": [{"rfilename": p, "size": len(b)} for p, b in sorted(commit.files.items())],
        }

    def tree(self, kind: str, repo_id: str, revision: str, path: str, recursive: bool) -> list:
        commit = self._commit(self._repo(kind, repo_id), revision)
        prefix = path.strip("/")
        entries: dict[str, dict] = {}
        for name, data in sorted(commit.files.items()):
            if prefix and not name.startswith(prefix + "/"):
                continue
            rest = name[len(prefix) + 1 :] if prefix else name
            parts = rest.split("/")
            if len(parts) > 1 and not recursive:
                directory = f"{prefix}/{parts[0]}" if prefix else parts[0]
                entries[directory] = {
                    "type": "directory",
                    "oid": _sha1(directory.encode()),
                    "size": 0,
                    "path": directory,
                }
                continue
            if recursive:
                for depth in range(1, len(parts)):
                    directory = "/".join(([prefix] if prefix else []) + parts[:depth])
                    entries.setdefault(
                        directory,
                        {
                            "type": "directory",
                            "oid": _sha1(directory.encode()),
                            "size": 0,
                            "path": directory,
                        },
                    )
            entries[name] = {
                "type": "file",
                "oid": _git_blob_oid(data),
                "size": len(data),
                "path": name,
            }
        if prefix and not entries and prefix not in commit.files:
            raise _Error(404, "EntryNotFound", f"{prefix} does not exist on {revision}")
        return list(entries.values())

    def paths_info(self, kind: str, repo_id: str, revision: str, paths: list[str]) -> list:
        commit = self._commit(self._repo(kind, repo_id), revision)
        out = []
        for path in paths:
            path = path.strip("/")
            if path in commit.files:
                data = commit.files[path]
                out.append(
                    {"type": "file", "oid": _git_blob_oid(data), "size": len(data), "path": path}
                )
            elif any(p.startswith(path + "/") for p in commit.files):
                out.append(
                    {"type": "directory", "oid": _sha1(path.encode()), "size": 0, "path": path}
                )
        return out

    def commit(self, kind: str, repo_id: str, revision: str, lines: list[dict]) -> dict:
        repo = self._repo(kind, repo_id)
        branch = unquote(revision)
        with self._lock:
            if branch not in repo.branches:
                raise _Error(404, "RevisionNotFound", f"Invalid rev id: {branch}")
            files = dict(repo.commits[repo.branches[branch]].files)
            message = ""
            for line in lines:
                key, value = line["key"], line["value"]
                if key == "header":
                    message = value.get("summary", "")
                elif key == "file":
                    files[value["path"]] = base64.b64decode(value["content"])
                elif key == "deletedFile":
                    files.pop(value["path"], None)
                elif key == "deletedFolder":
                    folder = value["path"].rstrip("/") + "/"
                    files = {p: b for p, b in files.items() if not p.startswith(folder)}
                else:
                    raise _Error(400, "BadRequest", f"operation {key!r} is not supported here")
            parent = repo.branches[branch]
            digest = hashlib.sha1(parent.encode())
            for path in sorted(files):
                digest.update(path.encode() + b"\0" + _sha1(files[path]).encode())
            sha = digest.hexdigest()
            repo.commits[sha] = _Commit(sha, files, message)
            repo.branches[branch] = sha
        return {
            "commitUrl": f"{self.url}/{kind}/{repo_id}/commit/{sha}",
            "commitOid": sha,
            "commitMessage": message,
            "pullRequestUrl": None,
            "success": True,
        }

    def create_ref(self, kind: str, repo_id: str, ref_kind: str, name: str, target: str) -> None:
        repo = self._repo(kind, repo_id)
        table = repo.tags if ref_kind == "tag" else repo.branches
        with self._lock:
            if name in table:
                raise _Error(409, "RefExists", f"{ref_kind} {name} already exists")
            table[name] = self._commit(repo, target).sha

    def delete_tag(self, kind: str, repo_id: str, tag: str) -> None:
        repo = self._repo(kind, repo_id)
        with self._lock:
            if repo.tags.pop(unquote(tag), None) is None:
                raise _Error(404, "RevisionNotFound", f"Invalid rev id: {unquote(tag)}")

    def refs(self, kind: str, repo_id: str) -> dict:
        repo = self._repo(kind, repo_id)

        def entries(table: dict[str, str], prefix: str) -> list[dict]:
            return [
                {"name": n, "ref": f"refs/{prefix}/{n}", "targetCommit": s}
                for n, s in sorted(table.items())
            ]

        return {
            "branches": entries(repo.branches, "heads"),
            "tags": entries(repo.tags, "tags"),
            "converts": [],
        }


class _Handler(BaseHTTPRequestHandler):
    state: LocalHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read failures from the responses

    # ------------------------------------------------------------------ plumbing
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        payload: Any = None,
        headers: dict | None = None,
        raw: bytes | None = None,
        head: bool = False,
    ) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", "application/json" if raw is None else "application/octet-stream"
        )
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _error(self, exc: _Error, head: bool = False) -> None:
        self._send(
            exc.status,
            {"error": exc.message, **exc.extra},
            {"X-Error-Code": exc.code, "X-Error-Message": exc.message},
            head=head,
        )

    def _require_auth(self) -> None:
        if not self.headers.get("Authorization"):
            raise _Error(401, "Unauthorized", "Invalid credentials in Authorization header")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        self.state.requests.append((method, self.path))
        head = method == "HEAD"
        try:
            body = self._body() if method in ("POST", "PUT", "DELETE") else b""
            self._route(method, path, query, body, head)
        except _Error as exc:
            self._error(exc, head=head)
        except (KeyError, ValueError, json.JSONDecodeError) as exc:
            self._error(_Error(400, "BadRequest", f"bad request: {exc}"), head=head)

    def _route(self, method: str, path: str, query: dict, body: bytes, head: bool) -> None:
        hub = self.state
        if method == "POST" and path == "/api/repos/create":
            self._require_auth()
            status, payload = hub.create_repo(json.loads(body))
            return self._send(status, payload)
        if method == "POST" and path == "/api/validate-yaml":
            content = json.loads(body).get("content", "")
            if content.startswith("---") and "\n---" not in content[3:]:
                raise _Error(400, "BadRequest", "README.md: the YAML header is not closed")
            return self._send(200, {"errors": [], "warnings": []})
        m = re.fullmatch(rf"/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<file>.+)", path)
        if m and method in ("GET", "HEAD"):
            return self._resolve(m, head)
        m = re.fullmatch(rf"/api/{_REPO}(?P<rest>/.*)?", path)
        if not m:
            raise _Error(404, "NotFound", f"no route for {method} {path}")
        kind, repo_id, rest = m["type"], m["repo"], m["rest"] or ""
        if method == "GET" and rest in ("", "/"):
            return self._send(200, hub.repo_info(kind, repo_id, "main"))
        if method == "GET" and (r := re.fullmatch(r"/revision/(.+)", rest)):
            return self._send(200, hub.repo_info(kind, repo_id, r[1]))
        if method == "GET" and (r := re.fullmatch(r"/tree/([^/]+)(?:/(.*))?", rest)):
            recursive = query.get("recursive", ["false"])[0].lower() in ("true", "1")
            return self._send(200, hub.tree(kind, repo_id, r[1], r[2] or "", recursive))
        if method == "POST" and (r := re.fullmatch(r"/paths-info/(.+)", rest)):
            paths = _form_or_json(body, self.headers.get("Content-Type", ""), "paths")
            return self._send(200, hub.paths_info(kind, repo_id, r[1], paths))
        if method == "GET" and rest == "/refs":
            return self._send(200, hub.refs(kind, repo_id))
        self._require_auth()
        if method == "POST" and (r := re.fullmatch(r"/preupload/(.+)", rest)):
            hub._commit(hub._repo(kind, repo_id), r[1])
            files = json.loads(body).get("files", [])
            return self._send(
                200,
                {
                    "files": [
                        {
                            "path": f["path"],
                            "uploadMode": "regular",
                            "shouldIgnore": False,
                            "oid": None,
                        }
                        for f in files
                    ]
                },
            )
        if method == "POST" and (r := re.fullmatch(r"/commit/(.+)", rest)):
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            return self._send(200, hub.commit(kind, repo_id, r[1], lines))
        if method == "POST" and (r := re.fullmatch(r"/branch/(.+)", rest)):
            start = (json.loads(body) if body else {}).get("startingPoint") or "main"
            hub.create_ref(kind, repo_id, "branch", r[1], start)
            return self._send(200, {})
        if method == "POST" and (r := re.fullmatch(r"/tag/(.+)", rest)):
            tag = json.loads(body)["tag"]
            hub.create_ref(kind, repo_id, "tag", tag, r[1])
            return self._send(200, {})
        if method == "DELETE" and (r := re.fullmatch(r"/tag/(.+)", rest)):
            hub.delete_tag(kind, repo_id, r[1])
            return self._send(200, {})
        raise _Error(404, "NotFound", f"no route for {method} {path}")

    def _resolve(self, m: re.Match, head: bool) -> None:
        hub = self.state
        repo = hub._repo(m["type"], m["repo"])
        commit = hub._commit(repo, m["rev"])
        data = commit.files.get(m["file"])
        if data is None:
            raise _Error(404, "EntryNotFound", f"{m['file']} does not exist on {m['rev']}")
        headers = {
            "X-Repo-Commit": commit.sha,
            "ETag": f'"{_git_blob_oid(data)}"',
            "Accept-Ranges": "bytes",
        }
        status = 200
        ranged = self.headers.get("Range")
        if ranged and not head:  # a header that is not one byte range: the whole file
            try:
                wanted = byte_range(ranged, len(data))
            except RangeNotSatisfiable:
                headers["Content-Range"] = f"bytes */{len(data)}"
                return self._send(416, raw=b"", headers=headers)
            if wanted is not None:
                start, end = wanted
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                data, status = data[start : end + 1], 206
        self._send(status, raw=data, headers=headers, head=head)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


def _form_or_json(body: bytes, content_type: str, key: str) -> list[str]:
    if "json" in content_type:
        value = json.loads(body).get(key, [])
    else:
        value = parse_qs(body.decode()).get(key, [])
    if isinstance(value, str):
        value = [value]
    return list(value)


__all__ = ["LocalHub"]
