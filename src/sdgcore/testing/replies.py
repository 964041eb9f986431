"""What the fake OpenAI server answers: replies, faults, and scripts that choose between them."""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

FAULT_KINDS = ("rate_limit", "server_error", "timeout", "malformed", "truncated", "disconnect")
"""The fault kinds :meth:`Script.with_faults` draws from by default."""


@attrs.frozen
class Reply:
    """A successful completion choice.

    :param content: the assistant message.
    :param finish_reason: ``"stop"``, or ``"length"`` for a reply cut off by max_tokens.
    :param delay: extra seconds before the response is sent (on top of server latency).
    :param prompt_tokens: usage to report; estimated from word counts when None.
    :param completion_tokens: usage to report; estimated from word counts when None.
    :param logprobs: one log-probability per whitespace token of ``content``, to report.
    """

    content: str = ""
    finish_reason: str = "stop"
    delay: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    logprobs: list[float] | None = None

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        """A reply whose content is ``obj`` as JSON."""
        return cls(content=json.dumps(obj), **kwargs)


@attrs.frozen
class Fault:
    """A failure the server produces instead of a reply. Build one with the class methods.

    :param kind: one of :data:`FAULT_KINDS`.
    :param status: the HTTP status it sends, if any.
    :param retry_after: ``rate_limit``: seconds for the ``Retry-After`` header, or None.
    :param message: the error message, for faults that send an error body.
    :param seconds: ``timeout``: how long nothing is sent.
    :param content: ``truncated``: the partial reply.
    """

    kind: str
    status: int | None = None
    retry_after: float | None = None
    message: str = ""
    seconds: float = 0.0
    content: str = ""

    @classmethod
    def rate_limit(cls, retry_after: float | None = 1.0) -> Fault:
        """429 with ``Retry-After`` (seconds) and ``retry-after-ms`` headers; None omits them."""
        return cls("rate_limit", 429, retry_after=retry_after,
                   message="Rate limit reached for requests")

    @classmethod
    def server_error(cls, status: int = 500, message: str = "The server had an error") -> Fault:
        """An HTTP error status (500, 502, 503, ...) with an OpenAI-shaped error body."""
        return cls("server_error", status, message=message)

    @classmethod
    def timeout(cls, seconds: float = 30.0) -> Fault:
        """Send nothing for ``seconds`` (the client should time out first), then a 504."""
        return cls("timeout", 504, message="the fake server timed out", seconds=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        """200 with a JSON content type and a body that is not valid JSON."""
        return cls("malformed", 200)

    @classmethod
    def truncated(cls, content: str = "partial answer") -> Fault:
        """A valid completion cut off by the token limit: ``finish_reason: "length"``."""
        return cls("truncated", 200, content=content)

    @classmethod
    def disconnect(cls) -> Fault:
        """Drop the connection without a response."""
        return cls("disconnect")

    @classmethod
    def of_kind(cls, kind: str, retry_after: float = 0.05) -> Fault:
        """The default fault of a kind named in :data:`FAULT_KINDS`."""
        makers: dict[str, Callable[[], Fault]] = {
            "rate_limit": lambda: cls.rate_limit(retry_after),
            "server_error": cls.server_error,
            "timeout": cls.timeout,
            "malformed": cls.malformed,
            "truncated": cls.truncated,
            "disconnect": cls.disconnect,
        }
        if kind not in makers:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {', '.join(FAULT_KINDS)}")
        return makers[kind]()


@attrs.frozen
class IncomingRequest:
    """A chat-completions request as it reached the fake server: what a script answers.

    Not :class:`sdgcore.ChatRequest` (what a stage asks an endpoint): this is the JSON body a
    backend made of one, with the order it arrived in.

    :param index: arrival order among all requests to the server, from 0.
    :param body: the whole JSON body (``response_format``, ``temperature``, ``seed``, ...).
    """

    index: int
    body: Mapping[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's messages."""
        return list(self.body.get("messages") or [])

    @property
    def model(self) -> str:
        """The requested model."""
        return str(self.body.get("model", ""))

    @property
    def n(self) -> int:
        """How many choices were asked for (1 by default)."""
        n = self.body.get("n") or 1
        return n if isinstance(n, int) and n > 0 else 1

    @property
    def last_user(self) -> str:
        """The content of the last user message ("" if none)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return text_of(message.get("content"))
        return ""

    @property
    def system(self) -> str | None:
        """The content of the first system message, or None."""
        for message in self.messages:
            if message.get("role") == "system":
                return text_of(message.get("content"))
        return None


def text_of(content: Any) -> str:
    """A message's content as text (the text parts joined, for a list of content parts)."""
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


Answer = Reply | Fault | str | Callable[[IncomingRequest], Any] | Sequence[Reply | str]
"""What a script yields for a request: a reply, a fault, a string (a reply's content), a
callable of the request returning one of these, or a list of replies (one per choice, cycled
when ``n`` is larger; a fault in the list answers the whole request)."""

EXHAUSTED = Fault.server_error(500, "script exhausted")
"""The answer once a sequence (or ``by_content`` without a default) has nothing left."""


class Script:
    """Decides the answer to each chat request. Build one with the static methods."""

    def answer(self, request: IncomingRequest) -> Answer:
        """The answer to ``request``; called on the server's loop, in arrival order."""
        raise NotImplementedError

    def reset(self) -> None:
        """Rewind to the start."""

    @staticmethod
    def sequence(items: Sequence[Answer], *, then: Answer | None = None) -> Script:
        """Answer with ``items`` in order, then ``then`` (by default a 500 "script exhausted")."""
        return _Sequence(list(items), then)

    @staticmethod
    def respond(fn: Callable[[IncomingRequest], Answer]) -> Script:
        """Answer with ``fn(request)``."""
        return _Respond(fn)

    @staticmethod
    def by_content(rules: Mapping[str | re.Pattern[str], Answer],
                   default: Answer | None = None) -> Script:
        """The first rule whose key is in (or, for a regex, found in) the last user message
        answers; otherwise ``default`` (by default a 500 "script exhausted")."""
        return _ByContent(dict(rules), default)

    @staticmethod
    def always(answer: Answer) -> Script:
        """Answer every request the same way."""
        return _Respond(lambda _request: answer)

    def with_faults(self, rate: float, kinds: Sequence[str] = FAULT_KINDS, seed: int = 0,
                    retry_after: float = 0.05) -> Script:
        """This script, but each request fails instead with probability ``rate``, with a
        fault of a kind drawn uniformly from ``kinds`` (rate limits carry ``retry_after``).
        Deterministic for a seed and arrival order; a faulted request does not consume this
        script's next answer, so a retry gets it."""
        for kind in kinds:
            Fault.of_kind(kind)
        return _Faulty(self, rate, list(kinds), seed, retry_after)

    @staticmethod
    def coerce(script: Script | Answer | Sequence[Answer] | None) -> Script:
        """A script from a script, a callable (:meth:`respond`), a list (:meth:`sequence`),
        a single reply, string or fault (:meth:`always`), or None (always ``"ok"``)."""
        if isinstance(script, Script):
            return script
        if script is None:
            return Script.always(Reply("ok"))
        if isinstance(script, (str, Reply, Fault)):
            return Script.always(script)
        if callable(script):
            return Script.respond(script)
        return Script.sequence(list(script))


class _Sequence(Script):
    def __init__(self, items: list[Answer], then: Answer | None) -> None:
        self.items, self.then, self.position = items, then, 0

    def answer(self, request: IncomingRequest) -> Answer:
        if self.position < len(self.items):
            self.position += 1
            return self.items[self.position - 1]
        return self.then if self.then is not None else EXHAUSTED

    def reset(self) -> None:
        self.position = 0


class _Respond(Script):
    def __init__(self, fn: Callable[[IncomingRequest], Answer]) -> None:
        self.fn = fn

    def answer(self, request: IncomingRequest) -> Answer:
        return self.fn(request)


class _ByContent(Script):
    def __init__(self, rules: dict[Any, Answer], default: Answer | None) -> None:
        self.rules, self.default = rules, default

    def answer(self, request: IncomingRequest) -> Answer:
        text = request.last_user
        for key, answer in self.rules.items():
            if key.search(text) if isinstance(key, re.Pattern) else key in text:
                return answer
        return self.default if self.default is not None else EXHAUSTED


class _Faulty(Script):
    def __init__(self, inner: Script, rate: float, kinds: list[str], seed: int,
                 retry_after: float) -> None:
        self.inner, self.rate, self.kinds = inner, rate, kinds
        self.seed, self.retry_after = seed, retry_after
        self.rng = random.Random(seed)

    def answer(self, request: IncomingRequest) -> Answer:
        if self.rng.random() < self.rate:
            return Fault.of_kind(self.rng.choice(self.kinds), self.retry_after)
        return self.inner.answer(request)

    def reset(self) -> None:
        self.rng = random.Random(self.seed)
        self.inner.reset()


def resolve(answer: Answer, request: IncomingRequest) -> Fault | list[Reply]:
    """Turn an answer into a fault, or into exactly ``request.n`` replies."""
    while callable(answer) and not isinstance(answer, (Reply, Fault)):
        answer = answer(request)
    if isinstance(answer, Fault):
        return answer
    items = [answer] if isinstance(answer, (str, Reply)) else list(answer)
    for item in items:
        if isinstance(item, Fault):
            return item
        if not isinstance(item, (str, Reply)):
            raise TypeError(f"a script answered {item!r}; expected a Reply, a str or a Fault")
    replies = [Reply(item) if isinstance(item, str) else item for item in items] or [Reply()]
    return [replies[i % len(replies)] for i in range(request.n)]


def _words(text: str) -> int:
    return len(text.split())


def completion_body(chat: IncomingRequest, replies: list[Reply]) -> dict[str, Any]:
    """The ``chat.completion`` JSON for ``replies``, with usage estimated from word counts
    where the replies do not set it."""
    prompt = sum(_words(text_of(m.get("content"))) for m in chat.messages)
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
