import asyncio

from sdgcore.lookahead import Lookahead


def run(coro):
    return asyncio.run(coro)


def test_results_come_in_attempt_order_with_at_most_window_in_flight():
    async def go():
        running, peak, launched = 0, 0, []

        async def attempt(i):
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001 * (5 - i % 5))  # later attempts finish first
            running -= 1
            return i * 10

        async def launch(i):
            launched.append(i)
            return attempt(i) if i < 12 else None

        ahead = Lookahead(launch, 4)
        taken = []
        while (item := await ahead.take()) is not None:
            taken.append(item)
        return taken, peak, launched

    taken, peak, launched = run(go())
    assert taken == [(i, i * 10) for i in range(12)]
    assert peak <= 4
    assert launched == list(range(13))  # each number once, then the one that ran out


def test_ahead_caps_what_is_started_and_close_cancels_the_rest():
    async def go():
        started, cancelled = [], []

        async def attempt(i):
            try:
                await asyncio.sleep(0 if i == 0 else 10)
            except asyncio.CancelledError:
                cancelled.append(i)
                raise
            return i

        async def launch(i):
            started.append(i)
            return attempt(i)

        ahead = Lookahead(launch, 8)
        first = await ahead.take(ahead=3)
        await ahead.aclose()
        return first, started, cancelled

    first, started, cancelled = run(go())
    assert first == (0, 0)
    assert started == [0, 1, 2]
    assert sorted(cancelled) == [1, 2]
