"""Driving a run: prepare, then generate → label → solve → rewrite → categorize until the
learnable target is met or a budget is spent, then export.

Samples go through :class:`~sdgcore.pipeline.stages.Flow` on one of two schedules
(``run.schedule``): ``stream`` (:mod:`sdgcore.pipeline.stream`, the default) takes the next
sample as soon as one finishes and checkpoints finished samples as they come; ``rounds``
(:mod:`sdgcore.pipeline.rounds`) goes in rounds, each checkpointed whole. Either way, on
resume the checkpoints are read back, the task's generator is replayed (its requests are
cached, so this costs nothing) and samples already processed are skipped, so the same config
gives the same datasets however often the run was interrupted. A sample whose chain ended in
a transient drop (its requests failed for a reason that may pass) is processed again, its
paid requests coming from the cache, and its new chain replaces the old one
(:mod:`sdgcore.pipeline.checkpoint`).
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sdgcore.base import Task
from sdgcore.config.schema import RunConfig
from sdgcore.context import RunContext
from sdgcore.errors import NotBuiltError, import_optional
from sdgcore.gates import Gates
from sdgcore.kinds import KINDS
from sdgcore.models.roles import Models
from sdgcore.pipeline import rounds, stream
from sdgcore.pipeline.checkpoint import Checkpoints
from sdgcore.pipeline.export import check_formats, export
from sdgcore.pipeline.progress import Progress
from sdgcore.pipeline.stages import Flow
from sdgcore.runs import CACHE_FILE
from sdgcore.store.rundir import write_atomic

if TYPE_CHECKING:
    import pluggy

    from sdgcore.plugins import SdgPluginManager

@attrs.frozen
class RunResult:
    """What a run did.

    :param run_dir: the run directory.
    :param counts: samples per category (``learnable``, ``too_easy``, ``too_hard``, ``dropped``).
    :param histogram: scored samples per pass-rate bucket.
    :param seconds: wall time of prepare, the schedule (``stream`` or ``rounds``) and export,
        and the time spent in each per-sample stage (summed over samples in flight, so it can
        exceed the wall time).
    :param rounds: checkpoints written, this time and before (with ``run.schedule: rounds``,
        one per round).
    :param stopped: why generation stopped.
    :param models: accounting per model endpoint, for this invocation.
    :param generated: samples taken from the task, this time and before (rewrites are not
        counted).
    :param executor: where this invocation processed samples (``type``; for ``ray``, the
        ``workers`` and the ``samples`` each processed).
    """

    run_dir: Path
    counts: dict[str, int]
    histogram: dict[str, int]
    seconds: dict[str, float]
    rounds: int
    stopped: str
    models: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    generated: int = 0
    executor: dict[str, Any] = attrs.field(factory=lambda: {"type": "local"})


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
    if config.executor.type == "ray":
        import_optional("ray", extra="sdgcore[ray]", feature="executor 'ray'")


class RunFinishedWarning(UserWarning):
    """A plugin's ``sdg_run_finished`` hook failed; the run itself succeeded."""


async def run(config: RunConfig, run_dir: Path, models: Models | None = None,
              progress: Progress | None = None, *,
              hooks: pluggy.HookRelay | None = None,
              plugins: SdgPluginManager | None = None) -> RunResult:
    """Run ``config`` in ``run_dir`` (already opened), resuming what is there.

    :param models: the run's endpoints, if the caller made them (to watch their accounts);
        by default made here. Closed when the run ends, either way.
    :param progress: told of each sample's progress.
    :param hooks: the plugin manager's hooks (``manager.pm.hook``): their
        ``sdg_run_finished`` is called once the datasets and ``summary.json`` are written
        (one that raises is a :class:`RunFinishedWarning`). None calls no hook.
    :param plugins: the plugin manager the config was read with; the Ray executor's workers
        make the same (default: the installed plugins).
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
    executor = None
    ran_on: dict[str, Any] = {"type": "local"}
    try:
        if config.executor.type == "ray":
            executor = await _ray_executor(ctx, plugins, flow)
        started = time.perf_counter()
        await task.prepare(ctx)
        seconds["prepare"] = time.perf_counter() - started
        if config.run.schedule == "stream":
            stopped = await stream.schedule(ctx, task, flow, store, progress, seconds,
                                            executor.process if executor else None)
        else:
            stopped = await rounds.schedule(ctx, task, flow, store, progress, seconds)
    finally:
        try:
            if executor is not None:
                ran_on = executor.info()
                await executor.aclose()
        finally:
            await models.aclose()
    seconds.update({k: round(v, 3) for k, v in flow.busy.items()})
    started = time.perf_counter()
    exported = export(store.samples(), run_dir, config.export.formats)
    seconds["export"] = time.perf_counter() - started
    result = RunResult(run_dir, exported["counts"], exported["pass_rate_histogram"], seconds,
                       len(store.rounds), stopped, models.stats(), len(store.outcomes()), ran_on)
    write_atomic(run_dir / "summary.json",
                 json.dumps(attrs.asdict(result), indent=2, default=str) + "\n")
    if hooks is not None:
        call_run_finished(hooks, run_dir, config)
    return result


async def _ray_executor(ctx: RunContext, plugins: SdgPluginManager | None, flow: Flow):
    """The run's Ray workers, started (the driver's endpoints now share their limits)."""
    from sdgcore.pipeline.cluster.driver import RayExecutor
    from sdgcore.plugins import PluginRecipe, create_plugin_manager

    recipe = plugins.recipe if plugins is not None else PluginRecipe()
    registry = (plugins or create_plugin_manager()).registry
    executor = RayExecutor(ctx.config, ctx.run_dir, recipe, registry, ctx.models, ctx.pool, flow)
    try:
        await executor.start()
    except BaseException:
        await executor.aclose()
        raise
    return executor


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


__all__ = ["CACHE_FILE", "Progress", "RunFinishedWarning", "RunResult", "check_built",
           "call_run_finished", "run"]
