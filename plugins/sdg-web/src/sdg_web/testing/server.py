"""The fake Hub's HTTP server: the routes ``huggingface_hub`` and ``datasets`` call."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from sdg_web.testing.repos import HubRepo, oid


@attrs.frozen
class HubRequest:
    """A request as the fake received it: ``method``, decoded ``path``, ``query`` and
    whether it carried the hub's token."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorized: bool


class FakeHub:
    """The fake Hub: a threaded HTTP server on 127.0.0.1.

    :param repos: the repositories it serves.
    :param token: the token that opens gated and private repositories.
    """

    def __init__(self, repos: Sequence[HubRepo] = (), *, token: str = "hf_test_token") -> None:
        self.repos = {r.id: r for r in repos}
        self.token = token
        self.requests: list[HubRequest] = []
        self._faults: list[tuple[re.Pattern[str], list[tuple[int, float | None]]]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the endpoint to point the libraries at."""
        assert self._server is not None, "the fake hub is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self, home: Path, *, token: bool = False) -> dict[str, str]:
        """Environment variables that point a new process at this hub, online (whatever
        ``HF_HUB_OFFLINE`` says here), with its Hugging Face caches under ``home`` (and
        ``HF_TOKEN`` when ``token``)."""
        env = {"HF_ENDPOINT": self.url, "HF_HOME": str(home),
               "HF_DATASETS_CACHE": str(home / "datasets"), "HF_HUB_DISABLE_TELEMETRY": "1",
               "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
               "HF_DATASETS_DISABLE_PROGRESS_BARS": "1", "HF_UPDATE_DOWNLOAD_COUNTS": "0",
               "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0"}
        if token:
            env["HF_TOKEN"] = self.token
        return env

    # -- scripting ---------------------------------------------------------------------
    def fail(self, path_pattern: str, *statuses: int, retry_after: float | None = 0.0) -> None:
        """Answer the next requests whose path matches ``path_pattern`` (a regex) with
        ``statuses`` in turn (429 with ``Retry-After``, 500, 503, ...), then normally."""
        with self._lock:
            self._faults.append((re.compile(path_pattern),
                                 [(s, retry_after) for s in statuses]))

    def _fault_for(self, path: str) -> tuple[int, float | None] | None:
        with self._lock:
            for pattern, pending in self._faults:
                if pending and pattern.search(path):
                    return pending.pop(0)
        return None

    def hits(self, pattern: str) -> list[HubRequest]:
        """The logged requests whose path matches ``pattern`` (a regex)."""
        return [r for r in self.requests if re.search(pattern, r.path)]

    def _log(self, request: HubRequest) -> None:
        with self._lock:
            self.requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    # -- dispatch ----------------------------------------------------------------------
    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        body = b""
        if method == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        authorized = self.headers.get("Authorization") == f"Bearer {self.fake.token}"
        self.fake._log(HubRequest(method, path, query, authorized))
        fault = self.fake._fault_for(path)
        if fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            return self._json({"error": f"injected {status}"}, status, headers)
        routes = [
            (r"/api/datasets/?", self._search),
            (r"/api/datasets/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?", self._info),
            (r"/api/datasets/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)(?:/(?P<sub>.*))?",
             self._tree),
            (r"/api/datasets/(?P<repo>[^/]+/[^/]+)/paths-info/(?P<rev>[^/]+)", self._paths),
            (r"/datasets/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<sub>.+)", self._file),
        ]
        for pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match:
                return handler(method, query, body, authorized, **match.groupdict())
        self._json({"error": f"the fake hub does not serve {path}"}, 404)

    def _repo(self, repo_id: str, authorized: bool, rev: str | None) -> HubRepo | None:
        repo = self.fake.repos.get(repo_id)
        if repo is None or (repo.private and not authorized):
            self._json({"error": "Repository not found"}, 404,
                       {"X-Error-Code": "RepoNotFound"})
            return None
        if rev is not None and rev not in ("main", repo.sha):
            self._json({"error": f"Invalid rev id: {rev}"}, 404,
                       {"X-Error-Code": "RevisionNotFound"})
            return None
        return repo

    # -- routes ------------------------------------------------------------------------
    def _search(self, method: str, query: dict, body: bytes, authorized: bool) -> None:
        terms = [t.lower() for t in query.get("search", [])]
        wanted = query.get("filter", [])
        found = [r for r in self.fake.repos.values()
                 if (authorized or not r.private)
                 and all(t in r.id.lower() for t in terms)
                 and all(f in r.tags for f in wanted)]
        if query.get("sort", [""])[0] == "downloads":
            found.sort(key=lambda r: -r.downloads)
        limit = int(query.get("limit", ["1000"])[0])
        self._json([r.info() for r in found[:limit]])

    def _info(self, method: str, query: dict, body: bytes, authorized: bool, repo: str,
              rev: str | None) -> None:
        found = self._repo(repo, authorized, rev)
        if found is not None:
            self._json(found.info())

    def _tree(self, method: str, query: dict, body: bytes, authorized: bool, repo: str,
              rev: str, sub: str | None) -> None:
        found = self._repo(repo, authorized, rev)
        if found is None:
            return
        recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
        entries = found.entries(sub or "", recursive)
        if entries is None:
            return self._json({"error": f"{sub} does not exist"}, 404,
                              {"X-Error-Code": "EntryNotFound"})
        self._json(entries)

    def _paths(self, method: str, query: dict, body: bytes, authorized: bool, repo: str,
               rev: str) -> None:
        found = self._repo(repo, authorized, rev)
        if found is None:
            return
        if self.headers.get("Content-Type", "").startswith("application/json"):
            paths = json.loads(body or b"{}").get("paths", [])
        else:
            paths = parse_qs(body.decode()).get("paths", [])
        entries = [found.entry(p) for p in paths]
        self._json([e for e in entries if e is not None])

    def _file(self, method: str, query: dict, body: bytes, authorized: bool, repo: str,
              rev: str, sub: str) -> None:
        found = self._repo(repo, authorized, rev)
        if found is None:
            return
        if found.gated and not authorized:
            return self._json({"error": f"Access to dataset {repo} is restricted."}, 401,
                              {"X-Error-Code": "GatedRepo",
                               "X-Error-Message": "Access to this dataset is restricted"})
        data = found.files.get(sub)
        if data is None:
            return self._json({"error": f"{sub} does not exist"}, 404,
                              {"X-Error-Code": "EntryNotFound",
                               "X-Repo-Commit": found.sha})
        headers = {"X-Repo-Commit": found.sha, "ETag": f'"{oid(data)}"',
                   "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        status, payload = 200, data
        ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if ranged:
            first, last = ranged.groups()
            if first == "":
                start, end = max(0, len(data) - int(last)), len(data) - 1
            else:
                start = int(first)
                end = min(int(last), len(data) - 1) if last else len(data) - 1
            status, payload = 206, data[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        self._send(status, payload, headers)

    # -- responses ---------------------------------------------------------------------
    def _json(self, value: Any, status: int = 200,
              headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(value).encode()
        self._send(status, data, {"Content-Type": "application/json", **(headers or {})})

    def _send(self, status: int, data: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)
