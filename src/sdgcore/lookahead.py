"""Attempts started ahead of the one being consumed, and taken strictly in order.

A task that asks a model once per attempt wants several requests in flight, yet must yield
its samples in attempt order, so that a resumed run (replaying the request cache) makes the
same requests and the same samples. :class:`Lookahead` does both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lookahead(Generic[T]):
    """Attempts 0, 1, 2, ... started up to ``window`` ahead and taken in order.

    :param launch: called with each attempt's number, in order, never twice; returns the
        awaitable of that attempt's result, or None when there are no more attempts. It is
        itself awaited, so it may do work that must stay off the event loop (planning).
    :param window: the most attempts in flight at once (at least 1).
    """

    def __init__(self, launch: Callable[[int], Awaitable[Awaitable[T] | None]],
                 window: int) -> None:
        self._launch = launch
        self.window = max(1, window)
        self._pending: dict[int, asyncio.Future[T]] = {}
        self._launched = 0
        self._taken = 0
        self._exhausted = False

    async def take(self, ahead: int | None = None) -> tuple[int, T] | None:
        """The next attempt's number and result, once it is done.

        First starts attempts until ``min(window, ahead)`` are in flight counting the one
        taken: a caller that will stop after ``ahead`` more attempts never pays for more.

        :return: None when ``launch`` has run out and every attempt started was taken.
        """
        limit = self.window if ahead is None else max(1, min(self.window, ahead))
        while not self._exhausted and self._launched < self._taken + limit:
            started = await self._launch(self._launched)
            if started is None:
                self._exhausted = True
                break
            self._pending[self._launched] = asyncio.ensure_future(started)
            self._launched += 1
        future = self._pending.pop(self._taken, None)
        if future is None:
            return None
        index = self._taken
        self._taken += 1
        return index, await future

    async def aclose(self) -> None:
        """Cancel the attempts still in flight and wait for them to finish."""
        futures = list(self._pending.values())
        self._pending.clear()
        for future in futures:
            future.cancel()
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)
