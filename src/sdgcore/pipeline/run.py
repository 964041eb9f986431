"""Driving a run: prepare, then rounds of generate → label → solve → rewrite → categorize,
until the learnable target is met or a budget is spent, then export.

A round takes the next samples from the task (twice the learnable samples still missing, up to
``target.batch``) and sends each through :class:`~sdgcore.pipeline.stages.Flow` as soon as it is
generated, ``run.concurrency`` at a time. A finished round is checkpointed whole. On resume the
finished rounds are read back, the task's generator is replayed (its requests are cached, so
this costs nothing) and samples already processed are skipped; an unfinished round is run
again from the request cache. The same config therefore gives the same datasets, however often
the run was interrupted. A sample whose chain ended in a transient drop (its requests failed
for a reason that may pass) is not skipped: it is processed again, its paid requests coming
from the cache, and its new chain replaces the old one (:mod:`sdgcore.pipeline.checkpoint`).
"""

from __future__ import annotations

import asyncio
import json
import time
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sdgcore.base import Task
from sdgcore.config.schema import RunConfig
from sdgcore.context import RunContext
from sdgcore.errors import NotBuiltError, SdgError
from sdgcore.gates import Gates
from sdgcore.kinds import KINDS
from sdgcore.models.roles import Models
from sdgcore.pipeline.checkpoint import Checkpoints
from sdgcore.pipeline.export import check_formats, export
from sdgcore.pipeline.stages import Flow
from sdgcore.pool import SamplePool
from sdgcore.records import Sample
from sdgcore.runs import CACHE_FILE
from sdgcore.store.rundir import write_atomic

if TYPE_CHECKING:
    import pluggy

MAX_DUPLICATE_RUN = 200
"""Consecutive duplicates after which a task is taken to have run out of new samples."""


@attrs.frozen
class RunResult:
    """What a run did.

    :param run_dir: the run directory.
    :param counts: samples per category (``learnable``, ``too_easy``, ``too_hard``, ``dropped``).
    :param histogram: scored samples per pass-rate bucket.
    :param seconds: wall time of prepare, the rounds and export, and the time spent in each
        per-sample stage (summed over samples in flight, so it can exceed the wall time).
    :param rounds: rounds finished, this time and before.
    :param stopped: why generation stopped.
    :param models: accounting per model endpoint, for this invocation.
    """

    run_dir: Path
    counts: dict[str, int]
    histogram: dict[str, int]
    seconds: dict[str, float]
    rounds: int
    stopped: str
    models: dict[str, dict[str, Any]] = attrs.field(factory=dict)


def check_built(config: RunConfig) -> None:
    """Raise :class:`NotBuiltError` for anything the run would use that is not built yet
    (a rewriter with ``max_rounds: 0`` and the trainer are not used by a run)."""
    for kind, chosen in (("voter", config.voter), ("comparator", config.solve.comparator)):
        if chosen is None:  # sections a run cannot do without, left out with none installed
            entry = KINDS[kind]
            raise NotBuiltError(f"{entry.section}: no {kind} is installed",
                                hint=entry.install_hint(entry.default or ""))
    for path, choice in config.selections():
        unused = path == "train" or (path == "rewrite" and choice.common.max_rounds == 0)
        if not unused:
            choice.component.ensure_built(f"{path}.{choice.key}", choice.origin)
    check_formats(config.export.formats)


class RunFinishedWarning(UserWarning):
    """A plugin's ``sdg_run_finished`` hook failed; the run itself succeeded."""


class Progress:
    """What a run reports as it goes; the command line shows it as progress bars."""

    def start(self, learnable_target: int) -> None:
        """The run begins (``learnable_target`` samples are wanted)."""

    def advance(self, stage: str) -> None:
        """A sample finished ``stage`` (``generate``, ``label``, ``solve``, ``rewrite``) or
        landed in a category (``learnable``, ``too_easy``, ``too_hard``, ``dropped``)."""


async def run(config: RunConfig, run_dir: Path, models: Models | None = None,
              progress: Progress | None = None, *,
              hooks: pluggy.HookRelay | None = None) -> RunResult:
    """Run ``config`` in ``run_dir`` (already opened), resuming what is there.

    :param models: the run's endpoints, if the caller made them (to watch their accounts);
        by default made here. Closed when the run ends, either way.
    :param progress: told of each sample's progress.
    :param hooks: the plugin manager's hooks (``manager.pm.hook``): their
        ``sdg_run_finished`` is called once the datasets and ``summary.json`` are written
        (one that raises is a :class:`RunFinishedWarning`). None calls no hook.
    :raises NotBuiltError: something the config selects is not built yet.
    """
    check_built(config)
    progress = progress or Progress()
    store = Checkpoints(run_dir)
    gates = Gates(config.gates, store.samples())  # an unreadable set stops the run here
    if models is None:
        models = Models(config.models, run_dir / CACHE_FILE, seed=config.run.seed,
                        cost_limit=config.budget.cost)
    models.budget.spent = store.spent.get("cost", 0.0)  # earlier invocations' spending
    ctx = RunContext(run_dir=run_dir, config=config, models=models)
    rewriter = config.rewrite.create() if config.rewrite is not None else None
    flow = Flow(ctx, config.voter.create(), config.solve.comparator.create(),  # type: ignore[union-attr]
                rewriter, progress.advance, gates)
    task: Task = config.task.create()
    seconds: dict[str, float] = {}
    progress.start(config.target.learnable)
    for _ in range(store.counts.get("learnable", 0)):
        progress.advance("learnable")
    try:
        started = time.perf_counter()
        await task.prepare(ctx)
        seconds["prepare"] = time.perf_counter() - started
        stopped = await _rounds(ctx, task, flow, store, progress, seconds)
    finally:
        await models.aclose()
    seconds.update({k: round(v, 3) for k, v in flow.busy.items()})
    started = time.perf_counter()
    exported = export(store.samples(), run_dir, config.export.formats)
    seconds["export"] = time.perf_counter() - started
    result = RunResult(run_dir, exported["counts"], exported["pass_rate_histogram"], seconds,
                       len(store.rounds), stopped, models.stats())
    write_atomic(run_dir / "summary.json",
                 json.dumps(attrs.asdict(result), indent=2, default=str) + "\n")
    if hooks is not None:
        call_run_finished(hooks, run_dir, config)
    return result


def call_run_finished(hooks: pluggy.HookRelay, run_dir: Path, config: RunConfig) -> None:
    """Call each plugin's ``sdg_run_finished`` on its own, in pluggy's order; one that raises
    is a :class:`RunFinishedWarning` naming the plugin, and the others are still called."""
    arguments = {"run_dir": run_dir, "config": config}
    for impl in reversed(hooks.sdg_run_finished.get_hookimpls()):
        try:
            impl.function(*(arguments[name] for name in impl.argnames))
        except Exception as exc:  # a plugin's failure must not fail a finished run
            warnings.warn(f"plugin {impl.plugin_name!r}: sdg_run_finished failed: "
                          f"{type(exc).__name__}: {exc}", RunFinishedWarning, stacklevel=2)


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


async def _rounds(ctx: RunContext, task: Task, flow: Flow, store: Checkpoints,
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
    stream = _fresh(task.generate(ctx), store.seen, ctx.pool)
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
        store.write(samples, _spent(before, ctx.models),
                    {"generated": len(results), "want": done.want})
        for sample in samples:
            progress.advance("dropped" if sample.dropped else sample.category or "dropped")
        return True

    try:
        while True:
            stop = _stop_reason(config, basis, len(store.rounds) + (running is not None),
                                _spent(before, ctx.models))
            want = min(config.target.batch, 2 * (config.target.learnable - basis) - in_flight)
            if stop is None and want <= 0:  # the round in flight may do: await it first
                if running is not None and not await commit(running):
                    return "the task has no more new samples"
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
                return "the task has no more new samples"
            if not current.jobs:
                running = None
                return "the task has no more new samples"
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


async def _fresh(samples: AsyncIterator[Sample], seen: set[str],
                 pool: SamplePool) -> AsyncIterator[Sample]:
    """The task's samples, without those seen before (finished rounds, earlier yields); each
    one, seen or not, goes in ``pool``."""
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


def _spent(before: dict[str, Any], models: Models) -> dict[str, Any]:
    """Requests, tokens and dollars spent: ``before`` this invocation, plus by it so far."""
    stats = [e.stats for e in models.endpoints()]
    return {"requests": before["requests"] + sum(s.requests for s in stats),
            "tokens": before["tokens"] + sum(s.prompt_tokens + s.completion_tokens
                                             for s in stats),
            "cost": models.budget.spent}


def _stop_reason(config: RunConfig, learnable: int, rounds: int,
                 spent: dict[str, Any]) -> str | None:
    """Why no further round starts: ``learnable`` samples committed (as the size decision
    sees them), ``rounds`` started, ``spent`` so far."""
    if learnable >= config.target.learnable:
        return "the learnable target is reached"
    budget = config.budget
    if budget.rounds is not None and rounds >= budget.rounds:
        return f"the budget of {budget.rounds} rounds is spent"
    if budget.requests is not None and spent["requests"] >= budget.requests:
        return f"the budget of {budget.requests} requests is spent"
    if budget.tokens is not None and spent["tokens"] >= budget.tokens:
        return f"the budget of {budget.tokens} tokens is spent"
    if budget.cost is not None and spent.get("cost", 0.0) >= budget.cost:
        return f"the budget of ${budget.cost:g} is spent"
    return None


__all__ = ["CACHE_FILE", "Progress", "RunFinishedWarning", "RunResult", "check_built",
           "call_run_finished", "run"]
