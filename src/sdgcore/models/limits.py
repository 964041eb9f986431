"""Limits on how hard an endpoint is driven: adaptive concurrency and per-minute budgets."""

from __future__ import annotations

import asyncio
import collections
import time


class AdaptiveLimiter:
    """A semaphore whose size adapts, within ``1..maximum``: halved on a rate limit, cut by a
    quarter when requests slow down (an overloaded self-hosted server queues requests without
    ever answering 429), and grown back one step per ``limit`` successes (additive increase,
    multiplicative decrease).

    Slowing down is read from each success's seconds per completion token (``seconds / (1 +
    tokens)``): a smoothed value above ``latency_factor`` times the baseline (the lowest seen,
    drifting up slowly so it follows a server that got slower for good), and more than
    ``LATENCY_SLACK`` seconds later than the baseline would have it, counts as overload.

    :param maximum: the configured concurrency.
    :param adaptive: False keeps the size fixed at ``maximum``.
    :param cooldown: seconds after a decrease in which further signals do not decrease again
        (the requests already in flight were sent at the old size).
    :param latency_factor: how much slower than the baseline counts as overload; None: react
        to rate limits only.
    """

    LATENCY_SLACK = 0.1
    """Seconds a request must run over its baseline time before it counts as slow."""
    WARMUP = 8
    """Successes measured before latency is judged."""

    def __init__(self, maximum: int, *, adaptive: bool = True, cooldown: float = 1.0,
                 latency_factor: float | None = None) -> None:
        self.maximum = maximum
        self.adaptive = adaptive
        self.cooldown = cooldown
        self.latency_factor = latency_factor
        self.limit = float(maximum)
        self.active = 0
        self.decreases = {"rate_limit": 0, "latency": 0}
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._last_decrease = -1e9
        self._baseline: float | None = None
        self._smoothed: float | None = None
        self._measured = 0

    async def acquire(self) -> None:
        """Wait for a slot."""
        if self.active < int(self.limit) and not self._waiters:
            self.active += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot was handed over as we were cancelled
            elif fut in self._waiters:
                self._waiters.remove(fut)
            raise

    def release(self) -> None:
        """Give a slot back (and hand free slots to waiters)."""
        self.active -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.active < int(self.limit):
            fut = self._waiters.popleft()
            if not fut.done():
                self.active += 1
                fut.set_result(None)

    def on_success(self, seconds: float | None = None, tokens: int = 0) -> None:
        """A request succeeded in ``seconds`` with ``tokens`` completion tokens: cut the size
        if requests are slowing down, else grow by 1/limit."""
        if not self.adaptive:
            return
        if seconds is not None and self.latency_factor is not None and \
                self._slow(seconds, tokens):
            self._decrease(0.75, "latency")
            return
        if self.limit < self.maximum:
            self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
            self._wake()

    def _slow(self, seconds: float, tokens: int) -> bool:
        unit = seconds / (1 + tokens)
        base = self._baseline
        self._baseline = unit if base is None else min(unit, base + (unit - base) * 0.002)
        self._smoothed = unit if self._smoothed is None else \
            0.8 * self._smoothed + 0.2 * unit
        self._measured += 1
        if self._measured < self.WARMUP:
            return False
        expected = self._baseline * (1 + tokens)
        return (self._smoothed > self.latency_factor * self._baseline  # type: ignore[operator]
                and seconds - expected > self.LATENCY_SLACK)

    def on_rate_limit(self) -> None:
        """The server said 429: halve, at most once per cooldown."""
        if self.adaptive:
            self._decrease(0.5, "rate_limit")

    def _decrease(self, factor: float, why: str) -> None:
        now = time.monotonic()
        if now - self._last_decrease >= self.cooldown:
            self.limit = max(1.0, self.limit * factor)
            self._last_decrease = now
            self.decreases[why] += 1


class MinuteBudget:
    """A token bucket refilled at ``per_minute`` units a minute, holding at most ten
    seconds' worth, so a burst cannot spend a whole minute's budget at once.

    Requests take 1 unit (RPM) or their estimated tokens (TPM); :meth:`settle` corrects an
    estimate once the real count is known. Every amount is charged in full: one larger than
    the bucket waits for a full bucket and takes it all and more, and the level stays negative
    until the rate has paid the debt, which the requests after it wait out.
    """

    BURST_SECONDS = 10.0

    def __init__(self, per_minute: int) -> None:
        self.capacity = max(1.0, per_minute * self.BURST_SECONDS / 60.0)
        self.rate = per_minute / 60.0
        self.level = self.capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def take(self, amount: float) -> None:
        """Wait until ``amount`` is available (a full bucket, for more than it holds), then
        take all of it."""
        need = min(amount, self.capacity)
        async with self._lock:  # first come, first served
            while True:
                self._refill()
                if self.level >= need:
                    self.level -= amount
                    return
                await asyncio.sleep((need - self.level) / self.rate)

    def settle(self, delta: float) -> None:
        """Take ``delta`` more (or give back, if negative) after the fact."""
        self._refill()
        self.level = min(self.capacity, self.level - delta)
