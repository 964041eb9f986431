"""The layer every request goes through, above any backend.

:meth:`Endpoint.chat` never raises for a failed request and never hangs: it returns a
:class:`~sdgcore.models.types.Completion` with every choice asked for, or with fewer and the
reason. On the way it applies, in order: the request cache (and one in-flight call per key),
RPM/TPM budgets, adaptive concurrency, a per-request timeout, retries with exponential backoff
and jitter that honour Retry-After, bounded retries of truncated replies, and bounded re-asks of
unparseable structured output. Every call is counted in :class:`~sdgcore.models.accounting.Stats`.

Each choice index of a seeded request has its own seed (:func:`~sdgcore.seeds.choice_seed`),
so a server that ignores ``n`` and is asked again for the missing choices, or llama.cpp drawing
them one by one, gives ``n`` different attempts; a transient failure resends the same seeds, and
only a re-ask after a truncated or empty reply draws new ones.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import attrs

from sdgcore.base import Backend
from sdgcore.models.accounting import Stats
from sdgcore.models.cache import RequestCache, cache_key
from sdgcore.models.config import Limits, Sampling
from sdgcore.models.cost import CostBudget
from sdgcore.models.limits import AdaptiveLimiter, MinuteBudget
from sdgcore.models.structured import parse_structured, reask, schema_instruction
from sdgcore.models.types import (
    BackendError,
    BackendReply,
    ChatRequest,
    Choice,
    Completion,
    Usage,
)
from sdgcore.seeds import choice_seed


class Endpoint:
    """One configured model endpoint with everything above its backend.

    :param name: the role(s) it serves, for messages (``"teacher"``).
    :param backend: the backend instance.
    :param cache: the run's request cache, or None for no caching.
    :param seed: seeds the retry jitter, so a rerun waits the same way.
    :param budget: the run's spending, shared by its endpoints: no request is sent once it
        is exhausted (a ``budget`` failure, which a resumed run tries again).
    """

    def __init__(self, name: str, backend: Backend, cache: RequestCache | None = None, *,
                 seed: int = 0, budget: CostBudget | None = None) -> None:
        self.name = name
        self.backend = backend
        self.budget = budget
        self.price = backend.endpoint.price
        self.limits: Limits = backend.endpoint.limits
        self.sampling: Sampling = backend.endpoint.sampling
        self.cache = cache
        self.stats = Stats()
        self._limiter = AdaptiveLimiter(self.concurrency, adaptive=self.limits.adaptive,
                                        latency_factor=self.limits.latency_factor)
        self._rpm = MinuteBudget(self.limits.rpm) if self.limits.rpm else None
        self._tpm = MinuteBudget(self.limits.tpm) if self.limits.tpm else None
        self._keys: dict[str, asyncio.Lock] = {}
        self._rng = random.Random(seed)
        self._identity: dict[str, Any] | None = None  # asked of the backend on first use

    def share(self, limiter: AdaptiveLimiter, rpm: MinuteBudget | None,
              tpm: MinuteBudget | None) -> None:
        """Draw from limits held elsewhere instead of the endpoint's own: the Ray executor's,
        shared by every worker (objects with the same methods as these classes)."""
        self._limiter, self._rpm, self._tpm = limiter, rpm, tpm

    @property
    def concurrency(self) -> int:
        """The most requests in flight at once: the configured limit, or less where the
        backend cannot serve more."""
        own = self.backend.max_concurrency
        return min(self.limits.concurrency, own) if own else self.limits.concurrency

    def resolve(self, request: ChatRequest) -> ChatRequest:
        """``request`` with the endpoint's sampling defaults filled in."""
        fill = {name: getattr(self.sampling, name)
                for name in ("temperature", "top_p", "max_tokens", "seed")
                if getattr(request, name) is None and getattr(self.sampling, name) is not None}
        return attrs.evolve(request, **fill) if fill else request

    async def chat(self, request: ChatRequest) -> Completion:
        """Answer ``request``: ``request.n`` choices, or fewer with the reason in ``error``."""
        request = self.resolve(request)
        if self._identity is None:
            self._identity = self.backend.identity()
        key = cache_key(self._identity, request)
        lock = self._keys.setdefault(key, asyncio.Lock())
        try:
            async with lock:  # identical requests in flight are paid for once
                return await self._chat(request, key)
        finally:
            if not lock.locked() and self._keys.get(key) is lock:
                del self._keys[key]

    async def _chat(self, request: ChatRequest, key: str) -> Completion:
        schema = request.json_schema
        choices = await self._cached(key, request.n, schema)
        self.stats.cache_hits += len(choices)
        prompt = request.messages
        if schema is not None and not self.backend.native_schema:
            prompt = _with_instruction(prompt, schema_instruction(schema))
        messages = prompt
        usage, calls, retries, reasks = Usage(), 0, 0, 0
        redraws = 0  # re-asks after a truncated or empty reply: each one draws new seeds
        error: str | None = None
        error_kind: str | None = None
        while len(choices) < request.n:
            calls += 1
            try:
                reply = await self._call(_for_call(request, messages, len(choices), redraws))
            except BackendError as exc:
                if not exc.retryable or retries >= self.limits.retries:
                    error = f"{exc} (after {calls} attempt{'s' if calls > 1 else ''})"
                    error_kind = exc.kind
                    break
                retries += 1
                self.stats.retries += 1
                await asyncio.sleep(self._backoff(retries, exc.retry_after))
                continue
            usage += reply.usage
            good, kind, problem, bad_text = self._usable(_attribute(reply), schema)
            if good and self.cache is not None:
                await self.cache.aput(key, len(choices), good)
            choices += good
            if len(choices) >= request.n:
                break
            if kind is None:
                if good:  # fewer choices than asked for (some servers ignore n): ask again
                    continue
                kind, problem = "empty", "the backend returned no choices"
            if kind == "unparseable" and reasks < self.limits.reask:
                reasks += 1
                messages = reask(prompt, bad_text, problem, schema)
            elif retries < self.limits.retries:
                retries += 1
                # the same seeds would give the same unusable reply from a deterministic backend
                redraws += 1
            else:
                error, error_kind = f"{problem} (after {calls} attempts)", kind
                break
            self.stats.retries += 1
        if error is not None:
            self.stats.failures += 1
        return Completion(tuple(choices), usage, error, calls, error_kind)

    async def _cached(self, key: str, n: int, schema: Any) -> list[Choice]:
        if self.cache is None:
            return []
        found = await self.cache.aget(key, n)
        if schema is None:
            return found
        return [attrs.evolve(c, data=parse_structured(c.text, schema)) for c in found]

    @staticmethod
    def _usable(choices: tuple[Choice, ...], schema: Any
                ) -> tuple[list[Choice], str | None, str, str]:
        """The usable choices, and for the others the kind of problem (``truncated`` or
        ``unparseable``, the latter winning), its message and the reply that had it."""
        good: list[Choice] = []
        kind, problem, bad_text = None, "", ""
        for choice in choices:
            if choice.finish_reason == "length":
                if kind is None:
                    kind, problem = "truncated", "truncated: the reply hit max_tokens"
                    bad_text = choice.text
                continue
            if schema is not None:
                try:
                    choice = attrs.evolve(choice, data=parse_structured(choice.text, schema))
                except ValueError as exc:
                    kind, problem = "unparseable", f"unparseable structured output: {exc}"
                    bad_text = choice.text
                    continue
            good.append(choice)
        return good, kind, problem, bad_text

    async def _call(self, request: ChatRequest) -> BackendReply:
        if self.budget is not None and self.budget.exhausted:
            raise BackendError("budget", f"budget.cost (${self.budget.limit:g}) is spent: "
                                         "the request was not sent")
        estimate = 0
        if self._rpm is not None:
            await self._rpm.take(1)
        if self._tpm is not None:
            estimate = _estimate_tokens(request)
            await self._tpm.take(estimate)
        await self._limiter.acquire()
        self.stats.requests += 1
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.limits.timeout):
                reply = await self.backend.complete(request)
        except TimeoutError:
            raise BackendError("timeout", f"no reply within {self.limits.timeout:g}s") from None
        except BackendError as exc:
            if exc.kind == "rate_limit":
                self.stats.rate_limited += 1
                self._limiter.on_rate_limit()
            raise
        except Exception as exc:  # a backend bug must not take the stage down
            raise BackendError("client", f"backend {self.backend.name!r} failed: "
                                         f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._limiter.release()
        self._limiter.on_success(time.monotonic() - started, reply.usage.completion_tokens)
        self.stats.prompt_tokens += reply.usage.prompt_tokens
        self.stats.completion_tokens += reply.usage.completion_tokens
        cost = self.cost_of(reply)
        self.stats.add_cost(cost)
        if self.budget is not None and cost is not None:
            self.budget.add(cost)
        if self._tpm is not None:
            spent = reply.usage.prompt_tokens + reply.usage.completion_tokens
            self._tpm.settle(spent - estimate)
        return reply

    def cost_of(self, reply: BackendReply) -> float | None:
        """Dollars a reply cost: the backend's figure, else its tokens at :attr:`price`
        (0 for a model running here); None when unknown."""
        if reply.cost is not None:
            return reply.cost
        if self.backend.costs_nothing:
            return 0.0
        if self.price is not None:
            return self.price.of(reply.usage.prompt_tokens, reply.usage.completion_tokens)
        return None

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff; at least Retry-After; at most ``max_backoff``."""
        ceiling = min(self.limits.max_backoff, self.limits.backoff * 2 ** (retry - 1))
        wait = self._rng.uniform(0, ceiling)
        if retry_after is not None:
            wait = max(wait, retry_after * (1 + 0.1 * self._rng.random()))
        return min(wait, self.limits.max_backoff)

    async def aclose(self) -> None:
        """Release the backend."""
        await self.backend.aclose()


def _for_call(request: ChatRequest, messages: tuple[dict[str, Any], ...], start: int,
              redraws: int) -> ChatRequest:
    """The backend call for choices ``start`` to ``n - 1`` of ``request``, each with its own
    seed (``seed`` is the first of them, what an HTTP backend sends with ``n``)."""
    n = request.n - start
    if request.seed is None:
        return attrs.evolve(request, messages=messages, n=n, seeds=None)
    seeds = tuple(choice_seed(request.seed, i, redraws) for i in range(start, request.n))
    return attrs.evolve(request, messages=messages, n=n, seed=seeds[0], seeds=seeds)


def _attribute(reply: BackendReply) -> tuple[Choice, ...]:
    """The reply's choices, each carrying the call's prompt tokens and an equal share of its
    completion tokens (the remainder to the first)."""
    count = len(reply.choices)
    if not count:
        return ()
    share, rest = divmod(reply.usage.completion_tokens, count)
    prompt = reply.usage.prompt_tokens
    return tuple(Choice(c.text, c.finish_reason, c.data, c.logprob, c.cached, prompt,
                        share + (rest if i == 0 else 0))  # not attrs.evolve: the hot path
                 for i, c in enumerate(reply.choices))


def _with_instruction(messages: tuple[dict[str, Any], ...],
                      line: str) -> tuple[dict[str, Any], ...]:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user" and isinstance(messages[i].get("content"), str):
            changed = dict(messages[i], content=f"{messages[i]['content']}\n\n{line}")
            return (*messages[:i], changed, *messages[i + 1:])
    return (*messages, {"role": "user", "content": line})


def _estimate_tokens(request: ChatRequest) -> int:
    chars = sum(len(str(m.get("content") or "")) for m in request.messages)
    return chars // 4 + (request.max_tokens or 256) * request.n
