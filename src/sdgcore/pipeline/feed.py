"""What both schedules share: the task's new samples, what has been spent, and the budgets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sdgcore.errors import SdgError
from sdgcore.records import Sample

if TYPE_CHECKING:
    from sdgcore.config.schema import RunConfig
    from sdgcore.models.roles import Models
    from sdgcore.pool import SamplePool

MAX_DUPLICATE_RUN = 200
"""Consecutive duplicates after which a task is taken to have run out of new samples."""

NO_MORE = "the task has no more new samples"
TARGET_REACHED = "the learnable target is reached"


async def fresh(samples: AsyncIterator[Sample], seen: set[str],
                pool: SamplePool) -> AsyncIterator[Sample]:
    """The task's samples, without those seen before (checkpointed ones, earlier yields);
    each one, seen or not, goes in ``pool``."""
    duplicates = 0
    try:
        async for sample in samples:
            if not isinstance(sample, Sample):
                raise SdgError(f"the task yielded {type(sample).__name__}, not a Sample")
            pool.add(sample)
            if sample.id in seen:
                duplicates += 1
                # a resumed run replays every sample it already has: that many are expected
                if duplicates >= max(MAX_DUPLICATE_RUN, len(seen)):
                    return
                continue
            duplicates = 0
            seen.add(sample.id)
            yield sample
    finally:
        await samples.aclose()  # type: ignore[attr-defined]


def spent(before: dict[str, Any], models: Models) -> dict[str, Any]:
    """Requests, tokens and dollars spent: ``before`` this invocation, plus by it so far."""
    stats = [e.stats for e in models.endpoints()]
    return {"requests": before["requests"] + sum(s.requests for s in stats),
            "tokens": before["tokens"] + sum(s.prompt_tokens + s.completion_tokens
                                             for s in stats),
            "cost": models.budget.spent}


def budget_spent(config: RunConfig, generated: int, spent: dict[str, Any]) -> str | None:
    """Which budget is spent, if any, with ``generated`` samples taken from the task and
    ``spent`` so far (``budget.rounds`` is the rounds schedule's own)."""
    budget = config.budget
    if budget.samples is not None and generated >= budget.samples:
        return f"the budget of {budget.samples} samples is spent"
    if budget.requests is not None and spent["requests"] >= budget.requests:
        return f"the budget of {budget.requests} requests is spent"
    if budget.tokens is not None and spent["tokens"] >= budget.tokens:
        return f"the budget of {budget.tokens} tokens is spent"
    if budget.cost is not None and spent.get("cost", 0.0) >= budget.cost:
        return f"the budget of ${budget.cost:g} is spent"
    return None
