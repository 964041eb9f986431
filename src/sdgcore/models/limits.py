"""Limits on how hard an endpoint is driven: adaptive concurrency and per-minute budgets."""

from __future__ import annotations

import asyncio
import collections
import time


class AdaptiveLimiter:
    """A semaphore whose size adapts: halved on a rate limit, grown back one step per
    ``limit`` successes (additive increase, multiplicative decrease), within ``1..maximum``.

    :param maximum: the configured concurrency.
    :param adaptive: False keeps the size fixed at ``maximum``.
    :param cooldown: seconds after a decrease in which further 429s do not decrease again
        (the requests already in flight were sent at the old size).
    """

    def __init__(self, maximum: int, *, adaptive: bool = True, cooldown: float = 1.0) -> None:
        self.maximum = maximum
        self.adaptive = adaptive
        self.cooldown = cooldown
        self.limit = float(maximum)
        self.active = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._last_decrease = -1e9

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

    def on_success(self) -> None:
        """A request succeeded: grow by 1/limit (one step per ``limit`` successes)."""
        if self.adaptive and self.limit < self.maximum:
            self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
            self._wake()

    def on_rate_limit(self) -> None:
        """The server said 429: halve, at most once per cooldown."""
        now = time.monotonic()
        if self.adaptive and now - self._last_decrease >= self.cooldown:
            self.limit = max(1.0, self.limit / 2)
            self._last_decrease = now


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
