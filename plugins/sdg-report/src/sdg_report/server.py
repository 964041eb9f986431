"""``sdg view``: a read-only HTTP server on 127.0.0.1 for one run directory.

Routes (GET only; anything else is 405, an unknown path 404; a request whose ``Host`` is not
``127.0.0.1:PORT`` or ``localhost:PORT`` is 403):

* ``/`` — the page (:file:`page.html`: plain HTML and JavaScript, nothing from a network);
* ``/api/summary`` — samples per category, rounds, sources, whether the run is finished;
* ``/api/samples?key=&q=&round=&source=&min_pass=&max_pass=&page=&per_page=`` — one page of
  the samples that match (:class:`~sdg_report.index.Query`), with how many match in all;
* ``/api/sample/ID`` — one sample's full record and its chain (the generated sample and every
  rewrite, in order).

The index is built once and refreshed with the rounds a run in progress finishes, at most
every :data:`REFRESH_SECONDS`; a request never re-reads the files to filter.
"""

from __future__ import annotations

import json
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sdg_report.index import Query, SampleIndex

REFRESH_SECONDS = 2.0
MAX_PER_PAGE = 500


class Viewer:
    """What the server answers, apart from HTTP.

    :param index: the run's samples.
    """

    def __init__(self, index: SampleIndex) -> None:
        self.index = index
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        with self._lock:
            if time.monotonic() - self._checked < REFRESH_SECONDS:
                return
            self._checked = time.monotonic()
        self.index.refresh()

    def summary(self) -> dict[str, Any]:
        """``/api/summary``."""
        self._refresh()
        files = self.index.files
        return {"run_dir": str(files.path), "counts": self.index.counts(),
                "rounds": len(self.index.paths) if files.checkpointed else None,
                "finished": files.finished(), "sources": self.index.sources(),
                "rewrite_rounds": self.index.rewrite_rounds(),
                "skipped": self.index.skipped}

    def samples(self, params: dict[str, str]) -> dict[str, Any]:
        """``/api/samples``.

        :raises ValueError: a parameter is not a number where one is wanted.
        """
        self._refresh()
        query = Query(key=params.get("key") or None, text=params.get("q", "").strip(),
                      round=_number(params.get("round"), int),
                      source=params.get("source") or None,
                      min_pass=_number(params.get("min_pass"), float),
                      max_pass=_number(params.get("max_pass"), float))
        per_page = min(max(_number(params.get("per_page"), int) or 50, 1), MAX_PER_PAGE)
        page = max(_number(params.get("page"), int) or 1, 1)
        total, entries = self.index.query(query, (page - 1) * per_page, per_page)
        return {"total": total, "page": page, "per_page": per_page,
                "pages": max(1, -(-total // per_page)), "items": [e.row() for e in entries]}

    def sample(self, sample_id: str) -> dict[str, Any] | None:
        """``/api/sample/ID``, or None for an unknown id."""
        self._refresh()
        entry = self.index.get(sample_id)
        if entry is None:
            return None
        chain = self.index.chain(entry)
        return {"sample": self.index.record(entry), "superseded": entry.superseded,
                "file": str(self.index.paths[entry.file].relative_to(self.index.files.path)),
                "chain": [e.row() for e in chain]}


def _number(text: str | None, kind: type) -> Any:
    return None if text in (None, "") else kind(text)


class Handler(BaseHTTPRequestHandler):
    """One request; the :class:`Viewer` is given with :func:`functools.partial`."""

    server_version = "sdg-view"

    def __init__(self, *args: Any, viewer: Viewer, **kwargs: Any) -> None:
        self.viewer = viewer
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: the command prints the URL and nothing per request."""

    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        port = self.server.server_address[1]
        if self.headers.get("Host") not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            # a page elsewhere that got a name of its own resolved to 127.0.0.1 (DNS
            # rebinding) would otherwise read the run through the user's browser
            return self._json(HTTPStatus.FORBIDDEN, {"error": "only 127.0.0.1 is served"})
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            if url.path in ("/", "/index.html"):
                page = resources.files("sdg_report").joinpath("page.html").read_bytes()
                return self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            if url.path == "/api/summary":
                return self._json(HTTPStatus.OK, self.viewer.summary())
            if url.path == "/api/samples":
                return self._json(HTTPStatus.OK, self.viewer.samples(params))
            if url.path.startswith("/api/sample/"):
                found = self.viewer.sample(unquote(url.path.removeprefix("/api/sample/")))
                if found is not None:
                    return self._json(HTTPStatus.OK, found)
                return self._json(HTTPStatus.NOT_FOUND, {"error": "no such sample"})
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no such path {url.path}"})
        except ValueError as exc:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    def _refuse(self) -> None:
        self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "read-only: GET only"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    def _json(self, status: HTTPStatus, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                         "script-src 'self' 'unsafe-inline'")
        self.end_headers()
        self.wfile.write(body)


def make_server(index: SampleIndex, port: int = 0) -> ThreadingHTTPServer:
    """A server for ``index`` on 127.0.0.1 (``port`` 0: a free one); call
    ``serve_forever()`` on it, ``shutdown()`` to stop."""
    handler = partial(Handler, viewer=Viewer(index))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server
