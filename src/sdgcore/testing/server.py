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
import uuid
from collections.abc import Sequence
from typing import Any

import attrs
from aiohttp import web

from sdgcore.testing.script import (
    Answer,
    ChatRequest,
    Fault,
    Reply,
    Script,
    resolve,
)

__all__ = ["ChatRequest", "FakeOpenAIServer", "Fault", "LoggedRequest", "Reply", "Script"]

_OUTCOME = {
    "rate_limit": "rate_limited", "server_error": "server_error", "timeout": "timeout",
    "malformed": "malformed", "truncated": "truncated", "disconnect": "disconnect",
}


@attrs.frozen
class LoggedRequest:
    """One request the server received.

    :param index: arrival order among all requests, from 0.
    :param outcome: ``ok``, ``rate_limited``, ``server_error``, ``timeout``, ``malformed``,
        ``truncated``, ``disconnect`` or ``bad_request``.
    :param status: the HTTP status sent, or None when nothing was sent.
    :param completed: a 200 with a valid completion body was sent.
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
        of the :class:`ChatRequest`, a sequence of answers, one answer, or None for ``"ok"``.
    :param latency: seconds added to every chat request (concurrent requests overlap).
    :param models: the ids ``GET /v1/models`` lists.
    """

    def __init__(self, script: Script | Answer | Sequence[Answer] | None = None, *,
                 latency: float = 0.0, models: Sequence[str] = ("fake-model",),
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.script = Script.coerce(script)
        self.latency = latency
        self.models = list(models)
        self.host, self._port = host, port
        self._log: list[LoggedRequest] = []
        self._cond = threading.Condition()
        self._arrivals = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> FakeOpenAIServer:
        """Bind the port and serve in a background thread; returns self once it listens."""
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._open())
            except BaseException as exc:  # reported to start()'s caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="fake-openai", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop promptly: pending handlers (a sleeping timeout fault too) are cancelled."""
        if self._loop is None or self._thread is None or not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._close(), self._loop)
        future.result(timeout=10)
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
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def _close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The ``api_base`` a client uses: ``http://127.0.0.1:PORT/v1``."""
        return f"http://{self.host}:{self._port}/v1"

    # -- the request log ----------------------------------------------------------------------
    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, in the order they were answered."""
        with self._cond:
            return sorted(self._log, key=lambda r: r.index)

    def completed(self) -> list[LoggedRequest]:
        """Requests answered with a 200 and a valid completion."""
        return [r for r in self.requests if r.completed]

    def count(self, outcome: str | None = None) -> int:
        """How many requests were answered, or answered with ``outcome``."""
        return sum(1 for r in self.requests if outcome is None or r.outcome == outcome)

    def reset(self) -> None:
        """Forget the log and rewind the script."""
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

    def _record(self, request: web.Request, index: int, body: Any, raw: bytes, at: float,
                outcome: str, status: int | None, completed: bool = False) -> None:
        entry = LoggedRequest(index, request.path, body if isinstance(body, dict) else None, raw,
                              dict(request.headers), at, outcome, status, completed)
        with self._cond:
            self._log.append(entry)
            self._cond.notify_all()

    # -- handlers ---------------------------------------------------------------------------
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
        with self._cond:
            index = self._arrivals
            self._arrivals += 1
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        problem = _invalid(body)
        if problem:
            self._record(request, index, body, raw, at, "bad_request", 400)
            return _error(400, problem, "invalid_request_error")
        chat = ChatRequest(index, body)
        outcome = resolve(self.script.answer(chat), chat)
        delay = self.latency + (max(r.delay for r in outcome) if isinstance(outcome, list) else 0)
        if delay:
            await asyncio.sleep(delay)
        if isinstance(outcome, Fault):
            return await self._fault(request, outcome, chat, index, body, raw, at)
        self._record(request, index, body, raw, at, "ok", 200, completed=True)
        return web.json_response(_completion(chat, outcome))

    async def _fault(self, request: web.Request, fault: Fault, chat: ChatRequest, index: int,
                     body: dict[str, Any], raw: bytes, at: float) -> web.StreamResponse:
        outcome = _OUTCOME[fault.kind]
        if fault.kind == "disconnect":
            self._record(request, index, body, raw, at, outcome, None)
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if fault.kind == "timeout":
            try:
                await asyncio.sleep(fault.seconds)
            except asyncio.CancelledError:
                self._record(request, index, body, raw, at, outcome, None)
                raise
            self._record(request, index, body, raw, at, outcome, fault.status)
            return _error(fault.status, fault.message, "timeout")
        if fault.kind == "malformed":
            self._record(request, index, body, raw, at, outcome, 200)
            return web.Response(status=200, body=b'{"id": "chatcmpl-broken", "choices": [{"ind',
                                content_type="application/json")
        if fault.kind == "truncated":
            self._record(request, index, body, raw, at, outcome, 200)
            reply = Reply(fault.content, finish_reason="length")
            return web.json_response(_completion(chat, [reply] * chat.n))
        headers = {}
        if fault.kind == "rate_limit" and fault.retry_after is not None:
            headers = {"Retry-After": f"{fault.retry_after:g}",
                       "retry-after-ms": str(int(fault.retry_after * 1000))}
        self._record(request, index, body, raw, at, outcome, fault.status)
        code = "rate_limit_exceeded" if fault.kind == "rate_limit" else "server_error"
        return _error(fault.status, fault.message, code, headers)


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


def _words(text: str) -> int:
    return len(text.split())


def _completion(chat: ChatRequest, replies: list[Reply]) -> dict[str, Any]:
    prompt = sum(_words(str(m.get("content") or "")) for m in chat.messages)
    if replies and replies[0].prompt_tokens is not None:
        prompt = replies[0].prompt_tokens
    completion = sum(r.completion_tokens if r.completion_tokens is not None
                     else _words(r.content) for r in replies)
    choices = []
    for i, reply in enumerate(replies):
        choice: dict[str, Any] = {
            "index": i,
            "message": {"role": "assistant", "content": reply.content},
            "finish_reason": reply.finish_reason,
            "logprobs": None,
        }
        if reply.logprobs is not None:
            tokens = reply.content.split()
            choice["logprobs"] = {"content": [
                {"token": t, "logprob": lp, "top_logprobs": []}
                for t, lp in zip(tokens, reply.logprobs, strict=False)
            ]}
        choices.append(choice)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": chat.model,
        "choices": choices,
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion},
    }


def _error(status: int, message: str, code: str,
           headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": code, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sdgcore.testing.server``: serve until standard input closes (benchmarks
    run the server in its own process so its CPU is not counted as the client's)."""
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
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
