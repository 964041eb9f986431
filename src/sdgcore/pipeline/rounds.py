"""The rounds schedule (``run.schedule: rounds``): the run goes in rounds, each checkpointed
whole when all its samples are done.

A round takes the next samples from the task (twice the learnable samples still missing, up to
``target.batch``) and sends each through :class:`~sdgcore.pipeline.stages.Flow` as soon as it is
generated, ``run.concurrency`` at a time; with ``run.overlap`` the next round starts as soon as
the current one is generated. The stream schedule (:mod:`sdgcore.pipeline.stream`) is the
default; this one is kept for ``budget.rounds`` and as the baseline the benchmarks compare with.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import attrs

from sdgcore.base import Task
from sdgcore.context import RunContext
from sdgcore.pipeline.checkpoint import Checkpoints
from sdgcore.pipeline.feed import NO_MORE, TARGET_REACHED, budget_spent, fresh, spent
from sdgcore.pipeline.stages import Flow
from sdgcore.records import Sample

if TYPE_CHECKING:
    from sdgcore.config.schema import RunConfig
    from sdgcore.pipeline.progress import Progress


@attrs.define
class _Round:
    """A started round: its size and the jobs processing its samples."""

    want: int
    jobs: list[asyncio.Future[list[Sample]]] = attrs.field(factory=list)

    def cancel(self) -> None:
        for job in self.jobs:
            job.cancel()


def _view(store: Checkpoints, overlap: bool) -> tuple[int, int]:
    """What the next round's size is decided from on a resume: the learnable samples
    committed before the last round started, and that round's size (as a run that was not
    interrupted had them when it decided); without ``overlap``, all that is committed."""
    rounds = store.rounds
    if not rounds:
        return 0, 0
    if not overlap:
        return rounds[-1].get("learnable", 0), 0
    basis = rounds[-2].get("learnable", 0) if len(rounds) > 1 else 0
    return basis, rounds[-1].get("want", rounds[-1].get("generated", 0))


async def schedule(ctx: RunContext, task: Task, flow: Flow, store: Checkpoints,
                  progress: Progress, seconds: dict[str, float]) -> str:
    """Rounds, each started as soon as the one before it is generated, so the slots freed by
    one round's slowest samples are filled by the next round's. A round is checkpointed when
    all its samples are done, in order.

    A round's size is decided from what is certain when it starts, the same on a resume:
    the learnable samples of the rounds committed before the previous one, less half the
    previous round's size (the share expected to be learnable); when that leaves nothing to
    generate, the previous round is awaited and the decision made again from its counts.
    """
    config = ctx.config
    stream = fresh(task.generate(ctx), store.seen, ctx.pool)
    before = store.spent
    slots = asyncio.Semaphore(config.run.concurrency)
    basis, in_flight = _view(store, config.run.overlap)
    running: _Round | None = None
    open_rounds: list[_Round] = []  # started and not yet committed, for cancelling
    started = time.perf_counter()

    async def commit(done: _Round) -> bool:
        results = list(await asyncio.gather(*done.jobs))
        open_rounds.remove(done)
        if not results:
            return False
        samples = [s for versions in results for s in versions]
        if flow.gates is not None:
            samples = flow.gates.keep(samples)
        store.write(samples, spent(before, ctx.models),
                    {"generated": len(results), "want": done.want})
        for sample in samples:
            progress.advance("dropped" if sample.dropped else sample.category or "dropped")
        return True

    try:
        while True:
            generated = sum(r.get("generated", 0) for r in store.rounds) + in_flight
            stop = _stop_reason(config, basis, len(store.rounds) + (running is not None),
                                generated, spent(before, ctx.models))
            want = min(config.target.batch, 2 * (config.target.learnable - basis) - in_flight)
            if config.budget.samples is not None:
                want = min(want, config.budget.samples - generated)
            if stop is None and want <= 0:  # the round in flight may do: await it first
                if running is not None and not await commit(running):
                    return NO_MORE
                running = None
                basis, in_flight = store.counts.get("learnable", 0), 0
                continue
            if stop is not None:
                if running is not None:
                    await commit(running)
                    running = None
                return stop
            current = _Round(max(1, want))
            open_rounds.append(current)
            await _launch(stream, current, flow, slots, progress)
            previous, running = running, current
            if not config.run.overlap and current.jobs:  # each round waits for the last
                previous, running = current, None
            if previous is not None and not await commit(previous):
                return NO_MORE
            if not current.jobs:
                running = None
                return NO_MORE
            basis = store.counts.get("learnable", 0)
            in_flight = current.want if running is not None else 0
    except BaseException:
        for job_round in open_rounds:
            job_round.cancel()
        raise
    finally:
        seconds["rounds"] = seconds.get("rounds", 0.0) + time.perf_counter() - started
        await stream.aclose()


async def _launch(stream: AsyncIterator[Sample], current: _Round, flow: Flow,
                  slots: asyncio.Semaphore, progress: Progress) -> None:
    """Take up to ``current.want`` samples into ``current``, each processed as soon as it is
    generated and a slot is free (the slots are shared by the rounds in flight)."""

    async def process(sample: Sample) -> list[Sample]:
        try:
            return await flow.process(sample)
        finally:
            slots.release()

    while len(current.jobs) < current.want:
        await slots.acquire()
        try:
            sample = await anext(stream)
        except StopAsyncIteration:
            slots.release()
            break
        except BaseException:
            slots.release()
            raise
        progress.advance("generate")
        current.jobs.append(asyncio.ensure_future(process(sample)))


def _stop_reason(config: RunConfig, learnable: int, rounds: int, generated: int,
                 spent: dict[str, Any]) -> str | None:
    """Why no further round starts: ``learnable`` samples committed (as the size decision
    sees them), ``rounds`` started, ``generated`` samples taken, ``spent`` so far."""
    if learnable >= config.target.learnable:
        return TARGET_REACHED
    rounds_budget = config.budget.rounds
    if rounds_budget is not None and rounds >= rounds_budget:
        return f"the budget of {rounds_budget} rounds is spent"
    return budget_spent(config, generated, spent)
