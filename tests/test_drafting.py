"""`sdgcore.draft_samples` and `sdgcore.endpoint_for`: the scaffolding a drafting task uses."""

import asyncio
import itertools
import types
from collections import Counter
from contextlib import aclosing

import pytest

from sdgcore import NearDuplicates, Sample, SdgError, draft_samples, endpoint_for


def sample(question: str) -> Sample:
    return Sample(task="t", question=question)


def collect(items, attempt, limit=None, **options):
    """The questions drafted (up to ``limit``) and the stream closed."""
    async def go():
        out = []
        async with aclosing(draft_samples(items, attempt, **options)) as stream:
            async for made in stream:
                out.append(made.question)
                if limit is not None and len(out) >= limit:
                    break
        return out
    return asyncio.run(go())


def test_samples_come_in_item_order_with_rejects_and_near_duplicates_counted():
    outcomes = ["Why is the sky blue?", "failed", "WHY is the sky  blue ?", "empty",
                "What makes grass green?", "Seen before, long ago?"]
    running = peak = 0

    async def attempt(i):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (6 - i))  # later attempts finish first
        running -= 1
        return sample(outcomes[i]) if outcomes[i][0].isupper() else outcomes[i]

    seen, counts = NearDuplicates(0.9), Counter()
    seen.add("Seen before, long ago?")
    made = collect(range(6), attempt, window=3, max_rejects=5, seen=seen, counts=counts)
    assert made == ["Why is the sky blue?", "What makes grass green?"]
    assert counts == {"made": 2, "duplicate": 2, "failed": 1, "empty": 1}
    assert peak == 3 and len(seen) == 3  # what was made is remembered


def test_it_gives_up_after_max_rejects_in_a_row_asking_no_further():
    started = []

    async def attempt(i):
        started.append(i)
        return sample(f"Question number {i}?") if i in (0, 3) else "failed"

    counts = Counter()
    made = collect(itertools.count(), attempt, window=8, max_rejects=4, counts=counts)
    assert made == ["Question number 0?", "Question number 3?"]
    assert counts == {"made": 2, "failed": 6}
    assert sorted(started) == list(range(8))  # 3 is a success, then 4 rejects: 4..7


def test_a_rejected_sample_is_still_checked_for_being_a_near_duplicate():
    replies = [sample("Which river is longest?"),
               sample("which river is longest ?").drop("unanswerable"),
               sample("Which lake is deepest?").drop("unanswerable")]

    async def attempt(i):
        return replies[i]

    counts = Counter()
    made = collect(range(3), attempt, window=2, max_rejects=9, seen=NearDuplicates(0.9),
                   counts=counts)
    assert made == ["Which river is longest?"]
    assert counts == {"made": 1, "duplicate": 1, "unanswerable": 1}


def test_without_seen_nothing_is_a_duplicate():
    async def attempt(i):
        return sample("The same question?")

    assert collect(range(3), attempt, window=2, max_rejects=1) == ["The same question?"] * 3


def test_an_async_iterable_of_items_is_read_in_order_and_closed():
    read, closed = [], []

    async def plans():
        try:
            for plan in ("a", "b", "c", "d"):
                await asyncio.sleep(0)
                read.append(plan)
                yield plan
        finally:
            closed.append(True)

    async def attempt(plan):
        return sample(f"About {plan} and more?")

    made = collect(plans(), attempt, limit=2, window=2, max_rejects=3)
    assert made == ["About a and more?", "About b and more?"]
    assert read == ["a", "b", "c"] and closed == [True]  # a window of 2: c was started
    assert collect(plans(), attempt, window=8, max_rejects=3) == [
        f"About {p} and more?" for p in "abcd"]


def test_closing_early_cancels_the_attempts_in_flight():
    cancelled = []

    async def attempt(i):
        try:
            await asyncio.sleep(0 if i == 0 else 10)
        except asyncio.CancelledError:
            cancelled.append(i)
            raise
        return sample(f"Question {i}?")

    made = collect(range(100), attempt, limit=1, window=4, max_rejects=10)
    assert made == ["Question 0?"] and sorted(cancelled) == [1, 2, 3]


def test_endpoint_for_names_the_config_key():
    teacher = object()
    ctx = types.SimpleNamespace(models={"teacher": teacher})
    assert endpoint_for(ctx, "teacher", "task.model") is teacher
    with pytest.raises(SdgError) as info:
        endpoint_for(ctx, "writer", "task.model")
    assert info.value.message == "task.model: no model endpoint for role 'writer'"
    assert info.value.hint == "configure models.writer, or set task.model to a configured role"
