"""A loopback OpenAI-compatible chat-completions server for tests.

It runs on its own event loop in a daemon thread, so sync tests, async tests on any loop and
clients in a subprocess can all use it::

    with FakeOpenAIServer(Script.sequence(["4", Fault.rate_limit(0.1), "5"])) as server:
        client(api_base=server.url, ...)
        assert server.count("rate_limited") == 1

Endpoints: ``POST /v1/chat/completions`` (``n``, ``response_format``, usage; no streaming) and
``GET /v1/models``. Every request is logged (:attr:`FakeOpenAIServer.requests`).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

import attrs
from aiohttp import web

from sdgcore.testing.replies import (
    Answer,
    Fault,
    IncomingRequest,
    Reply,
    Script,
    completion_body,
    resolve,
)

__all__ = [
    "FakeOpenAIServer", "Fault", "IncomingRequest", "LoggedRequest", "Reply", "Script",
]

@attrs.frozen
class LoggedRequest:
    """One request the server received.

    :param index: arrival order among all chat requests, from 0 (:attr:`IncomingRequest.index`).
    :param path: the URL path.
    :param body: the JSON body, or None when it was not a JSON object.
    :param raw: the body as received.
    :param headers: the request headers.
    :param received_at: ``time.time()`` when the request arrived.
    :param outcome: ``ok``, ``rate_limited``, ``server_error``, ``timeout``, ``malformed``,
        ``truncated``, ``disconnect`` or ``bad_request``.
    :param status: the HTTP status sent, or None when nothing was (a timeout or disconnect
        fault, or a client that had gone).
    :param completed: a 200 with the script's completion was written in full (not a
        malformed or truncated fault, and not to a client that had gone).
    """

    index: int
    path: str
    body: dict[str, Any] | None
    raw: bytes
    headers: dict[str, str]
    received_at: float
    outcome: str
    status: int | None
    completed: bool


class FakeOpenAIServer:
    """The server. ``start()``/``stop()``, or use it as a context manager.

    :param script: what to answer (see :meth:`Script.coerce`): a :class:`Script`, a callable
        of the :class:`IncomingRequest`, a sequence of answers, one answer, or None for ``"ok"``.
    :param latency: seconds added to every chat request (concurrent requests overlap).
    :param models: the ids ``GET /v1/models`` lists.
    :param host: the address to bind; keep the loopback default.
    :param port: the port to bind; 0 picks a free one.
    :param ignore_n: answer one choice per request whatever ``n`` asks, as Ollama's OpenAI API
        does; the script sees ``n`` as 1 and the log keeps the body as sent.
    """

    def __init__(self, script: Script | Answer | Sequence[Answer] | None = None, *,
                 latency: float = 0.0, models: Sequence[str] = ("fake-model",),
                 host: str = "127.0.0.1", port: int = 0, ignore_n: bool = False) -> None:
        self.script = script
        self.latency = latency
        self.ignore_n = ignore_n
        self.models = list(models)
        self.host, self._port = host, port
        self._log: list[LoggedRequest] = []
        self._cond = threading.Condition()
        self._arrivals = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def script(self) -> Script:
        """The script answering chat requests; assigning coerces like the constructor."""
        return self._script

    @script.setter
    def script(self, script: Script | Answer | Sequence[Answer] | None) -> None:
        self._script = Script.coerce(script)

    def start(self) -> FakeOpenAIServer:
        """Bind the port and serve in a background thread; returns self once it listens."""
        if self._thread is not None and self._thread.is_alive():
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = self._loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:
                failure.append(exc)
            ready.set()
            if not failure:
                loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-openai", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop promptly: open connections are closed and pending handlers (a sleeping
        timeout fault too) are cancelled. Safe to call twice."""
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _open(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self._port).start()
        self._port = self._runner.addresses[0][1]

    async def _close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def port(self) -> int:
        """The bound port (once started)."""
        return self._port

    @property
    def url(self) -> str:
        """The ``api_base`` a client uses: ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self._port}/v1"

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every chat request logged so far, in arrival order (a copy)."""
        with self._cond:
            return sorted(self._log, key=lambda r: r.index)

    def completed(self) -> list[LoggedRequest]:
        """Requests answered with a 200 and a valid completion."""
        return [r for r in self.requests if r.completed]

    def count(self, outcome: str | None = None) -> int:
        """How many requests were logged, or logged with ``outcome``."""
        return sum(1 for r in self.requests if outcome is None or r.outcome == outcome)

    def reset(self) -> None:
        """Forget the log and rewind the script (and the arrival index)."""
        with self._cond:
            self._log.clear()
            self._arrivals = 0
        if self._loop is not None and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._reset_script(), self._loop).result(10)
        else:
            self.script.reset()

    async def _reset_script(self) -> None:
        self.script.reset()

    def wait_for(self, n_requests: int, timeout: float = 10.0) -> bool:
        """Block until ``n_requests`` requests are logged; False if ``timeout`` passes first."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._log) >= n_requests, timeout)

    def _record(self, entry: LoggedRequest, replacing: LoggedRequest | None = None) -> None:
        with self._cond:
            if replacing is not None and replacing in self._log:
                self._log[self._log.index(replacing)] = entry
            else:
                self._log.append(entry)
            self._cond.notify_all()

    async def _list_models(self, request: web.Request) -> web.Response:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "sdg"} for m in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error(404, f"no route for {request.method} {request.path}", "not_found")

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            return await self._answer_chat(request)
        finally:
            self._tasks.discard(task)

    async def _answer_chat(self, request: web.Request) -> web.StreamResponse:
        at = time.time()
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._cond:
            index = self._arrivals
            self._arrivals += 1
        entry = LoggedRequest(index, request.path, body if isinstance(body, dict) else None, raw,
                              dict(request.headers), at, "bad_request", None, False)
        problem = _invalid(body)
        if problem:
            return await self._send(request, entry, _error(400, problem, "invalid_request_error"))
        chat = IncomingRequest(index, {**body, "n": 1} if self.ignore_n else body)
        try:
            answer = resolve(self.script.answer(chat), chat)
        except Exception as exc:
            answer = Fault.server_error(500, f"the script failed: {exc!r}")
        if isinstance(answer, list):
            await asyncio.sleep(self.latency + max(r.delay for r in answer))
            response = web.json_response(completion_body(chat, answer))
            return await self._send(request, attrs.evolve(entry, outcome="ok"), response)
        await asyncio.sleep(self.latency)
        return await self._fault(request, attrs.evolve(entry, outcome=_outcome(answer)),
                                 answer, chat)

    async def _send(self, request: web.Request, entry: LoggedRequest, response: web.Response,
                    *, valid: bool = True, logged: bool = False) -> web.StreamResponse:
        """Log, then write ``response``; a client that has gone gets nothing (status None)."""
        gone = request.transport is None or request.transport.is_closing()
        sent = attrs.evolve(entry, status=None if gone else response.status,
                            completed=valid and response.status == 200 and not gone)
        self._record(sent, replacing=entry if logged else None)
        if not gone:
            try:
                await response.prepare(request)
                await response.write_eof()
            except ConnectionError:
                self._record(attrs.evolve(sent, status=None, completed=False), replacing=sent)
        return response

    async def _fault(self, request: web.Request, entry: LoggedRequest, fault: Fault,
                     chat: IncomingRequest) -> web.StreamResponse:
        if fault.kind == "disconnect":
            self._record(entry)
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if fault.kind == "timeout":
            self._record(entry)
            deadline = time.monotonic() + fault.seconds
            while (left := deadline - time.monotonic()) > 0:
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)
                await asyncio.sleep(min(left, 0.05))
            return await self._send(request, entry, _error(504, fault.message, "timeout"),
                                    logged=True)
        if fault.kind == "malformed":
            return await self._send(request, entry, web.Response(
                body=b'{"id": "chatcmpl-broken", "choices": [{"ind',
                content_type="application/json"), valid=False)
        if fault.kind == "truncated":
            replies = [Reply(fault.content, finish_reason="length")] * chat.n
            response = web.json_response(completion_body(chat, replies))
            return await self._send(request, entry, response, valid=False)
        headers = {}
        if fault.kind == "rate_limit" and fault.retry_after is not None:
            headers = {"Retry-After": f"{fault.retry_after:.15g}",
                       "retry-after-ms": str(round(fault.retry_after * 1000))}
        code = "rate_limit_exceeded" if fault.kind == "rate_limit" else "server_error"
        status = fault.status or 500
        return await self._send(request, entry, _error(status, fault.message, code, headers))


def _invalid(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    if not body.get("model"):
        return "you must provide a model parameter"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "'messages' must be a non-empty list"
    if body.get("stream"):
        return "streaming is not supported by the fake server"
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        return "'n' must be a positive integer"
    return None


def _outcome(fault: Fault) -> str:
    return "rate_limited" if fault.kind == "rate_limit" else fault.kind


def _error(status: int, message: str, code: str,
           headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": code, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sdgcore.testing.server``: print the URL, then serve until standard input
    closes (benchmarks run the server in its own process so its CPU is not counted as the
    client's). A ``stats`` line on standard input prints one JSON line of counts since the last
    ``reset`` line: ``{"requests": N, "completed": N}``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reply", default="ok")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(Reply(args.reply), latency=args.latency, port=args.port).start()
    print(server.url, flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "stats":
                logged = server.requests
                print(json.dumps({"requests": len(logged),
                                  "completed": sum(r.completed for r in logged)}), flush=True)
            elif line.strip() == "reset":
                server.reset()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
