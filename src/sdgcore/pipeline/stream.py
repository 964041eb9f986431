"""The stream schedule (``run.schedule: stream``, the default): samples flow through the
stages one by one, with no rounds, and are checkpointed as they finish.

Up to ``run.concurrency`` samples are in flight; as soon as one finishes, the next is taken
from the task, so no sample waits for a slower one. Whether the task's next sample is taken
at all is decided from the outcomes of the samples before it, never from which samples
happened to finish first, so the same config gives the same samples however the run was
scheduled or interrupted:

* samples are numbered in the order the task makes them (their *positions*); the *known
  prefix* is the longest run of positions 0 … k-1 that have all finished, and L(k) of them
  ended learnable (any version of the chain);
* position i is taken if, for some k from ``i - target.batch + 1`` to i, L(k) + r(k)·(i - k)
  < ``target.learnable``, where r(k) = (L(k) + 1) / (k + 2) is the share of the positions
  still unknown expected to end learnable. The k are tried as the prefix grows. At k = i the
  condition says the target is not reached yet, so the run stops exactly when the known
  samples reach it; before that, samples are taken ahead while those in flight are not
  expected to reach it, and never more than ``target.batch`` beyond the known prefix.

Finished chains enter the known prefix in position order: the gates' ``keep`` (duplicates)
runs there, and the prefix is checkpointed (:class:`~sdgcore.pipeline.checkpoint.Checkpoints`,
one file per write) at most every :data:`CHECKPOINT_SECONDS` and when the run ends or is
interrupted. On resume the task's generator is replayed (its requests are cached), the known
prefix is read back, and the samples after it are decided and processed again, their paid
requests coming from the cache. A checkpointed chain that ended in a transient drop is
processed again first (not a position of its own: its new chain replaces the old one).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from sdgcore.pipeline.feed import NO_MORE, TARGET_REACHED, budget_spent, fresh, spent
from sdgcore.records import Sample

if TYPE_CHECKING:
    from sdgcore.base import Task
    from sdgcore.context import RunContext
    from sdgcore.pipeline.checkpoint import Checkpoints
    from sdgcore.pipeline.progress import Progress
    from sdgcore.pipeline.stages import Flow

CHECKPOINT_SECONDS = 1.0
"""The most time finished samples wait in memory before they are checkpointed."""

ADMIT, WAIT = "admit", "wait"


class Admission:
    """Which positions a run takes, from the outcomes of the known prefix.

    :param target: ``target.learnable``.
    :param window: ``target.batch``: the most positions taken beyond the known prefix.
    :param learnable: whether each position of a known prefix ended learnable (a resume's).
    """

    def __init__(self, target: int, window: int, learnable: Iterable[bool] = ()) -> None:
        self.target = target
        self.window = window
        self.prefix = [0]  # prefix[k]: learnable samples among positions 0 … k-1
        self._next_k = 0
        for outcome in learnable:
            self.known(outcome)

    @property
    def learnable(self) -> int:
        """Learnable samples in the known prefix."""
        return self.prefix[-1]

    def known(self, learnable: bool) -> None:
        """The next position of the prefix finished, learnable or not."""
        self.prefix.append(self.prefix[-1] + learnable)

    def decide(self, i: int) -> str:
        """:data:`ADMIT` position ``i``, :data:`WAIT` for the prefix to grow, or the reason
        the run takes no more (``i`` is the next position: every one before it was taken)."""
        known = len(self.prefix) - 1
        k = max(self._next_k, i - self.window + 1, 0)
        while k <= known:
            expected = (self.prefix[k] + 1) / (k + 2)
            if self.prefix[k] + expected * (i - k) < self.target:
                self._next_k = k  # it may admit i + 1 too: the condition only grows with i
                return ADMIT
            k += 1
        self._next_k = k
        return TARGET_REACHED if known >= i else WAIT


async def schedule(ctx: RunContext, task: Task, flow: Flow, store: Checkpoints,
                   progress: Progress, seconds: dict[str, float],
                   process: Callable[[Sample], Awaitable[list[Sample]]] | None = None) -> str:
    """Stream the task's samples through ``flow`` until the admission rule or a budget stops
    taking them; the samples taken all finish and are checkpointed. Returns why it stopped.

    :param process: what processes a generated sample (default ``flow.process``; the Ray
        executor's sends it to a worker)."""
    started = time.perf_counter()
    runner = _Stream(ctx, task, flow, store, progress, process or flow.process)
    try:
        return await runner.run()
    finally:
        seconds["stream"] = seconds.get("stream", 0.0) + time.perf_counter() - started


class _Stream:
    def __init__(self, ctx: RunContext, task: Task, flow: Flow, store: Checkpoints,
                 progress: Progress, process: Callable[[Sample], Awaitable[list[Sample]]]
                 ) -> None:
        config = ctx.config
        self.ctx, self.flow, self.store, self.progress = ctx, flow, store, progress
        self.process = process
        outcomes = store.outcomes()
        self.admission = Admission(config.target.learnable, config.target.batch,
                                   [learnable for _, learnable, _ in outcomes])
        self.redo = {root for root, _, transient in outcomes if transient}
        self.taken = len(outcomes)  # positions taken, this invocation and before
        self.samples: AsyncIterator[Sample] = fresh(task.generate(ctx), store.seen, ctx.pool)
        self.held: Sample | None = None  # pulled as a redo, and a new position instead
        self.running: dict[asyncio.Future[list[Sample]], int | None] = {}
        self.finished: dict[int, list[Sample]] = {}
        self.buffer: list[Sample] = []
        self.buffered = 0
        self.committed_at = time.monotonic()
        self.before = store.spent

    async def run(self) -> str:
        concurrency = self.ctx.config.run.concurrency
        stop: str | None = None
        try:
            while True:
                if stop is None and len(self.running) < concurrency:
                    if self.redo:
                        await self._pull_redo()
                        continue
                    stop = self._decide()
                    if stop is None:
                        sample = await self._pull()
                        if sample is None:
                            stop = NO_MORE
                        else:
                            self._start(sample, self.taken)
                            self.taken += 1
                        continue
                    if stop == WAIT:
                        stop = None
                if not self.running:
                    break
                timeout = max(0.0, CHECKPOINT_SECONDS - (time.monotonic() - self.committed_at))
                done, _ = await asyncio.wait(self.running, timeout=timeout if self.buffer
                                             else None, return_when=asyncio.FIRST_COMPLETED)
                self._collect(done)
            self._commit()
            return stop or NO_MORE
        except BaseException:
            for job in self.running:
                job.cancel()
            if self.running:
                await asyncio.wait(self.running)
            with contextlib.suppress(Exception):  # the error being raised is the one to see
                self._commit()  # what finished in order is kept
            raise
        finally:
            await self.samples.aclose()  # type: ignore[attr-defined]

    def _decide(self) -> str | None:
        """None to take the next position, :data:`WAIT`, or why the run takes no more."""
        decision = self.admission.decide(self.taken)
        if decision == ADMIT:
            return budget_spent(self.ctx.config, self.taken, spent(self.before, self.ctx.models))
        return decision

    async def _pull(self) -> Sample | None:
        if self.held is not None:
            sample, self.held = self.held, None
            return sample
        try:
            return await anext(self.samples)
        except StopAsyncIteration:
            return None

    async def _pull_redo(self) -> None:
        """Take the next checkpointed chain that ended in a transient drop, to do again."""
        sample = await self._pull()
        if sample is not None and sample.id in self.redo:
            self.redo.discard(sample.id)
            self._start(sample, None)
        else:  # the task no longer makes it: go on with new samples
            self.redo.clear()
            self.held = sample

    def _start(self, sample: Sample, position: int | None) -> None:
        self.progress.advance("generate")
        self.running[asyncio.ensure_future(self.process(sample))] = position

    def _collect(self, done: set[asyncio.Future[list[Sample]]]) -> None:
        """Take in finished chains: the prefix grows, and is checkpointed when it is time."""
        for job in done:
            position = self.running.pop(job)
            chain = job.result()  # a chain that raised stops the run
            if position is None:
                self._keep(chain)
            else:
                self.finished[position] = chain
        while (position := len(self.admission.prefix) - 1) in self.finished:
            chain = self._keep(self.finished.pop(position))
            self.admission.known(any(s.category == "learnable" and not s.dropped
                                     for s in chain))
        if time.monotonic() - self.committed_at >= CHECKPOINT_SECONDS:
            self._commit()

    def _keep(self, chain: list[Sample]) -> list[Sample]:
        if self.flow.gates is not None:
            chain = self.flow.gates.keep(chain)
        self.buffer += chain
        self.buffered += 1
        for sample in chain:
            self.progress.advance("dropped" if sample.dropped else sample.category or "dropped")
        return chain

    def _commit(self) -> None:
        self.committed_at = time.monotonic()
        if not self.buffer:
            return
        note: dict[str, Any] = {"generated": self.buffered}
        self.store.write(self.buffer, spent(self.before, self.ctx.models), note)
        self.buffer, self.buffered = [], 0
