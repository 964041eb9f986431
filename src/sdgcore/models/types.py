"""What goes into and comes out of the model layer.

A stage sends a :class:`ChatRequest` to an endpoint and always gets a :class:`Completion`
back: with all ``n`` choices, or with fewer and an ``error`` saying why (never an exception).
Backends raise :class:`BackendError` for a failed call; the layer above them retries.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from sdgcore.records import Tokens
from sdgcore.seeds import choice_seed

Message = Mapping[str, Any]
"""An OpenAI-style chat message: ``{"role": "user", "content": "..."}``."""


def _messages(value: Sequence[Message]) -> tuple[dict[str, Any], ...]:
    return tuple(dict(m) for m in value)


@attrs.frozen
class ChatRequest:
    """One chat request. Sampling fields left None take the endpoint's defaults.

    :param messages: the conversation.
    :param n: how many choices to return.
    :param temperature: sampling temperature.
    :param top_p: nucleus sampling.
    :param max_tokens: the completion token limit.
    :param seed: the sampling seed, where the backend supports one.
    :param json_schema: ask for JSON matching this schema; choices carry the parsed ``data``.
    :param stop: stop sequences.
    :param logprobs: ask for token log-probabilities (where the backend gives them).
    :param seeds: set by the endpoint for the backend, not by a stage: choice ``i`` of this
        call uses ``seeds[i]`` (and ``seed`` is ``seeds[0]``), each from
        :func:`~sdgcore.seeds.choice_seed`; None when the request has no seed. Not part of the
        cache key, never sent over HTTP (a server that honours ``n`` draws its choices from
        ``seed``). See :meth:`choice_seeds`.
    """

    messages: tuple[dict[str, Any], ...] = attrs.field(converter=_messages)
    n: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    json_schema: Mapping[str, Any] | None = None
    stop: tuple[str, ...] | None = None
    logprobs: bool = False
    seeds: tuple[int, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(tuple))

    @seeds.validator
    def _one_seed_per_choice(self, _attribute: Any, value: tuple[int, ...] | None) -> None:
        if value is not None and len(value) != self.n:
            raise ValueError(f"seeds has {len(value)} seeds for n={self.n} choices")

    def choice_seeds(self) -> tuple[int | None, ...]:
        """The seed of each of the ``n`` choices of this call: ``seeds`` where the endpoint
        set them, else derived from ``seed`` (all None without a seed)."""
        if self.seeds is not None:
            return self.seeds
        if self.seed is None:
            return (None,) * self.n
        return tuple(choice_seed(self.seed, i) for i in range(self.n))

    def openai_fields(self) -> dict[str, Any]:
        """``n``, the sampling parameters that are set, ``stop`` and ``logprobs``, as the
        OpenAI chat API names them (what both HTTP backends send)."""
        fields: dict[str, Any] = {"n": self.n} if self.n != 1 else {}
        for name in ("temperature", "top_p", "max_tokens", "seed"):
            value = getattr(self, name)
            if value is not None:
                fields[name] = value
        if self.stop:
            fields["stop"] = list(self.stop)
        if self.logprobs:
            fields["logprobs"] = True
        return fields

    def schema_format(self) -> dict[str, Any] | None:
        """The OpenAI ``response_format`` asking for ``json_schema``, or None."""
        if self.json_schema is None:
            return None
        return {"type": "json_schema",
                "json_schema": {"name": "output", "schema": dict(self.json_schema)}}


@attrs.frozen
class Choice:
    """One generated answer.

    :param text: the assistant message.
    :param finish_reason: ``"stop"``, ``"length"``, ...
    :param data: the parsed JSON, for a request with a ``json_schema``.
    :param logprob: the sum of token log-probabilities, where the backend gave them.
    :param cached: it came from the request cache, at no cost.
    :param prompt_tokens: the prompt tokens of the call that made it.
    :param completion_tokens: its share of that call's completion tokens.
    """

    text: str
    finish_reason: str | None = "stop"
    data: Any = None
    logprob: float | None = None
    cached: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0


@attrs.frozen
class Usage:
    """Tokens a call consumed."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens)


@attrs.frozen
class Completion:
    """The answer of the model layer to a request.

    :param choices: the choices obtained, cached ones first; ``n`` of them unless ``error``.
    :param usage: tokens paid for this request now (cached choices cost nothing): accounting.
    :param error: why fewer than ``n`` choices came back, or None.
    :param attempts: backend calls made for it (0 when everything was cached).
    :param error_kind: what kind of failure ``error`` is: a :class:`BackendError` kind
        (``rate_limit``, ``server``, ``timeout``, ``connection``, ``malformed``, ``client``),
        or ``truncated``, ``unparseable`` or ``empty`` for replies that came back unusable.
    """

    choices: tuple[Choice, ...] = ()
    usage: Usage = Usage()
    error: str | None = None
    attempts: int = 0
    error_kind: str | None = None

    @property
    def transient(self) -> bool:
        """It failed for a reason that may pass (rate limit, server error, timeout, connection,
        malformed body) after every retry: asking again later may succeed. A failure of the
        content (truncated, unparseable, empty) or of the request itself (``client``) is not."""
        return self.error is not None and self.error_kind in TRANSIENT_KINDS

    @property
    def ok(self) -> bool:
        """All requested choices came back."""
        return self.error is None

    @property
    def text(self) -> str | None:
        """The first choice's text, or None."""
        return self.choices[0].text if self.choices else None

    @property
    def tokens(self) -> Tokens:
        """The tokens these choices took to make, whether paid now or served from the cache:
        what a sample records, so a resumed run records the same as an uninterrupted one."""
        if not self.choices:
            return Tokens()
        return Tokens(max(c.prompt_tokens for c in self.choices),
                      sum(c.completion_tokens for c in self.choices))


@attrs.frozen
class BackendReply:
    """What a backend returns for one call: choices (``data`` unset) and usage."""

    choices: tuple[Choice, ...]
    usage: Usage = Usage()
    cost: float | None = None


ErrorKind = Literal["rate_limit", "server", "timeout", "connection", "malformed", "client",
                    "budget"]
RETRYABLE_KINDS = frozenset({"rate_limit", "server", "timeout", "connection", "malformed"})
"""The :class:`BackendError` kinds the endpoint retries."""
TRANSIENT_KINDS = RETRYABLE_KINDS | {"budget"}
"""The kinds that leave a request failed only for now (:attr:`Completion.transient`): the
retryable ones once their retries are spent, and ``budget`` (``budget.cost`` was spent; a
resumed run with a larger budget sends the request)."""


class BackendError(Exception):
    """A failed backend call.

    :param kind: ``rate_limit``, ``server``, ``timeout``, ``connection`` and ``malformed`` are
        retried; ``client`` (a 4xx other than 429: bad request, auth, unknown model) is not,
        nor ``budget`` (``budget.cost`` is spent: the request was not sent).
    :param message: what happened, for the failure reason.
    :param retry_after: seconds the server asked to wait, if it said.
    :param status: the HTTP status, if there was one.
    """

    def __init__(self, kind: ErrorKind, message: str, *, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.status = status

    @property
    def retryable(self) -> bool:
        """Retried by the endpoint: every kind but ``client`` and ``budget``."""
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        status = f"HTTP {self.status}: " if self.status else ""
        return f"{self.kind}: {status}{self.message}"


def error_for_status(status: int, message: str, retry_after: float | None = None) -> BackendError:
    """The :class:`BackendError` for an HTTP error status."""
    if status == 429:
        return BackendError("rate_limit", message, retry_after=retry_after, status=status)
    if status in (408, 409) or status >= 500:
        return BackendError("server", message, retry_after=retry_after, status=status)
    return BackendError("client", message, status=status)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
