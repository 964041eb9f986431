"""What every process of a Ray run draws from: one rate budget per endpoint and one request
cache, each held by a Ray actor, and the stand-ins an endpoint uses in their place.

:class:`SharedLimits` holds, per endpoint, the same :class:`~sdgcore.models.limits.AdaptiveLimiter`
and :class:`~sdgcore.models.limits.MinuteBudget` s an endpoint holds when it runs alone, and the
run's dollars spent: N workers together send what one process would be allowed to, not N
times that. :class:`CacheService` owns the run's ``requests.sqlite`` on the driver's machine:
SQLite is not safe on a network file system, and one writer next to the run directory keeps
the cache exactly what a local run's is, so a resume on either executor pays nothing twice.

An endpoint whose model runs in its own process (``llamacpp``, ``vllm``: ``costs_nothing``)
keeps its own limits: each worker's copy is a replica of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdgcore.models.cache import RequestCache
from sdgcore.models.cost import CostBudget
from sdgcore.models.limits import AdaptiveLimiter, MinuteBudget
from sdgcore.models.types import Choice

if TYPE_CHECKING:
    from sdgcore.models.roles import Models


def limit_specs(models: Models) -> dict[str, dict[str, Any]]:
    """The limits of each endpoint that the workers share, by endpoint name (the roles it
    serves, the same in every process made from the config)."""
    return {e.name: {"concurrency": e.concurrency, "adaptive": e.limits.adaptive,
                     "latency_factor": e.limits.latency_factor, "rpm": e.limits.rpm,
                     "tpm": e.limits.tpm}
            for e in models.endpoints() if not e.backend.costs_nothing}


class SharedLimits:
    """The Ray actor holding every shared endpoint's limits and the dollars spent.

    :param specs: :func:`limit_specs`.
    :param spent: dollars spent by earlier invocations of the run.
    """

    def __init__(self, specs: Mapping[str, Mapping[str, Any]], spent: float = 0.0) -> None:
        self.limiters = {name: AdaptiveLimiter(s["concurrency"], adaptive=s["adaptive"],
                                               latency_factor=s["latency_factor"])
                         for name, s in specs.items()}
        self.minute = {(name, kind): MinuteBudget(s[kind]) for name, s in specs.items()
                       for kind in ("rpm", "tpm") if s[kind]}
        self.spent = spent

    async def acquire(self, name: str) -> float:
        """Wait for a slot of endpoint ``name``; the dollars spent so far."""
        await self.limiters[name].acquire()
        return self.spent

    async def release(self, name: str, granted: Any = None) -> None:
        """Give a slot back (``granted``: the acquire it was, awaited first by Ray when the
        caller gave up waiting for it)."""
        self.limiters[name].release()

    async def on_success(self, name: str, seconds: float | None, tokens: int) -> None:
        self.limiters[name].on_success(seconds, tokens)

    async def on_rate_limit(self, name: str) -> None:
        self.limiters[name].on_rate_limit()

    async def take(self, name: str, kind: str, amount: float) -> None:
        """Wait until ``amount`` of the endpoint's ``rpm`` or ``tpm`` budget is available."""
        await self.minute[name, kind].take(amount)

    async def settle(self, name: str, kind: str, delta: float) -> None:
        self.minute[name, kind].settle(delta)

    async def add_cost(self, dollars: float) -> float:
        """Count a request's cost; the dollars spent so far."""
        self.spent += dollars
        return self.spent

    async def state(self) -> dict[str, Any]:
        """Each limiter's current size and decreases, and the dollars spent."""
        return {"spent": self.spent,
                "limits": {name: {"limit": lim.limit, "decreases": dict(lim.decreases)}
                           for name, lim in self.limiters.items()}}


class CacheService:
    """The Ray actor that owns the run's request cache file."""

    def __init__(self, path: str) -> None:
        self.cache = RequestCache(Path(path))

    def get(self, key: str, count: int) -> list[Choice]:
        return self.cache.get(key, count)

    def put(self, key: str, start: int, choices: Sequence[Choice]) -> None:
        self.cache.put(key, start, choices)

    def close(self) -> None:
        self.cache.close()


class RemoteCache:
    """An endpoint's request cache, answered by a :class:`CacheService` actor."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor

    async def aget(self, key: str, count: int) -> list[Choice]:
        return await self.actor.get.remote(key, count)

    async def aput(self, key: str, start: int, choices: Sequence[Choice]) -> None:
        await self.actor.put.remote(key, start, list(choices))

    def close(self) -> None:
        """Nothing to close here: the actor owns the file."""


class RemoteCostBudget(CostBudget):
    """The run's dollars, counted by the :class:`SharedLimits` actor; :attr:`spent` is this
    process's view of it, brought up to date with every slot it is given."""

    def __init__(self, actor: Any, limit: float | None, spent: float = 0.0) -> None:
        super().__init__(limit, spent)
        self.actor = actor

    def add(self, dollars: float) -> None:
        self.spent += dollars
        self.actor.add_cost.remote(dollars)

    def seen(self, total: float) -> None:
        """The actor's count, as of a reply."""
        self.spent = max(self.spent, total)


class RemoteLimiter:
    """An endpoint's concurrency limit, held by a :class:`SharedLimits` actor (the methods of
    :class:`~sdgcore.models.limits.AdaptiveLimiter` an endpoint calls)."""

    def __init__(self, actor: Any, name: str, budget: RemoteCostBudget | None = None) -> None:
        self.actor, self.name, self.budget = actor, name, budget

    async def acquire(self) -> None:
        granted = self.actor.acquire.remote(self.name)
        try:
            spent = await granted
        except asyncio.CancelledError:
            self.actor.release.remote(self.name, granted)  # runs once the slot is granted
            raise
        if self.budget is not None:
            self.budget.seen(spent)

    def release(self) -> None:
        self.actor.release.remote(self.name)

    def on_success(self, seconds: float | None = None, tokens: int = 0) -> None:
        self.actor.on_success.remote(self.name, seconds, tokens)

    def on_rate_limit(self) -> None:
        self.actor.on_rate_limit.remote(self.name)


class RemoteMinute:
    """An endpoint's RPM or TPM budget, held by a :class:`SharedLimits` actor (the methods of
    :class:`~sdgcore.models.limits.MinuteBudget` an endpoint calls)."""

    def __init__(self, actor: Any, name: str, kind: str) -> None:
        self.actor, self.name, self.kind = actor, name, kind

    async def take(self, amount: float) -> None:
        await self.actor.take.remote(self.name, self.kind, amount)

    def settle(self, delta: float) -> None:
        self.actor.settle.remote(self.name, self.kind, delta)


def share(models: Models, limits: Any, specs: Mapping[str, Mapping[str, Any]],
          cache: Any | None = None) -> RemoteCostBudget:
    """Point ``models``' endpoints at the shared ``limits`` (those named in ``specs``) and,
    with ``cache``, at the shared request cache; the run's dollars are counted by ``limits``
    from then on. Returns the budget the endpoints now check."""
    budget = RemoteCostBudget(limits, models.budget.limit, models.budget.spent)
    models.budget = budget
    for endpoint in models.endpoints():
        endpoint.budget = budget
        if cache is not None:
            endpoint.cache = RemoteCache(cache)  # type: ignore[assignment]
        spec = specs.get(endpoint.name)
        if spec is not None:
            endpoint.share(
                RemoteLimiter(limits, endpoint.name, budget),  # type: ignore[arg-type]
                RemoteMinute(limits, endpoint.name, "rpm") if spec["rpm"] else None,  # type: ignore[arg-type]
                RemoteMinute(limits, endpoint.name, "tpm") if spec["tpm"] else None)  # type: ignore[arg-type]
    return budget
