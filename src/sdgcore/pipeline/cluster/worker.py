"""A Ray worker: the per-sample stages (gates, label, solve, rewrite) of the samples the driver
sends it, with endpoints that draw from the run's shared limits and request cache.

The worker builds everything from what the driver sends: the resolved config as plain data
(secrets as ``${VAR}``, filled from the worker's environment), how the driver's plugin manager
was made, and the handles of the shared actors. Samples travel as JSON both ways.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from sdgcore.config.loader import interpolate, structure
from sdgcore.context import RunContext
from sdgcore.errors import ConfigError
from sdgcore.gates import Gates
from sdgcore.models.roles import Models
from sdgcore.pipeline.cluster.shared import share
from sdgcore.pipeline.stages import Flow
from sdgcore.plugins import PluginRecipe, create_plugin_manager
from sdgcore.records import Sample


class SampleWorker:
    """The body of a worker actor (``ray.remote(SampleWorker)``).

    :param config: the run's resolved config as plain data
        (:func:`~sdgcore.config.loader.dump_config`).
    :param run_dir: the run directory, as the driver names it.
    :param recipe: how the driver's plugin manager was made.
    :param limits: the :class:`~sdgcore.pipeline.cluster.shared.SharedLimits` actor.
    :param specs: which endpoints share it (:func:`~sdgcore.pipeline.cluster.shared.limit_specs`).
    :param cache: the :class:`~sdgcore.pipeline.cluster.shared.CacheService` actor.
    """

    def __init__(self, config: dict[str, Any], run_dir: str, recipe: PluginRecipe,
                 limits: Any, specs: dict[str, dict[str, Any]], cache: Any) -> None:
        manager = create_plugin_manager(
            blocked=recipe.blocked, entry_points=recipe.entry_points,
            plugins=[importlib.import_module(name) for name in recipe.modules])
        data, problems = interpolate(config, os.environ)
        if problems:
            raise ConfigError(problems)
        run = structure(data, manager.registry)
        models = Models(run.models, None, seed=run.run.seed, cost_limit=run.budget.cost)
        share(models, limits, specs, cache)
        self.ctx = RunContext(run_dir=Path(run_dir), config=run, models=models)
        rewriter = run.rewrite.create() if run.rewrite is not None else None
        self.flow = Flow(self.ctx, run.voter.create(), run.solve.comparator.create(),  # type: ignore[union-attr]
                         rewriter, gates=Gates(run.gates))
        self._reported: dict[str, dict[str, Any]] = {}
        self._busy: dict[str, float] = {}

    async def ready(self) -> bool:
        """True once the worker is built (a failure to build is raised here)."""
        return True

    async def process(self, sample: str, earlier: list[str]) -> dict[str, Any]:
        """Process one generated sample (JSON) after adding ``earlier`` (the generated samples
        before it that this worker has not seen, in order) to its pool.

        :return: ``chain`` (every version, JSON), ``stats`` (each endpoint's counters since the
            last reply), ``busy`` (seconds per stage since then) and ``spent`` (the run's
            dollars as this worker last saw them).
        """
        for line in earlier:
            self.ctx.pool.add(Sample.from_json(line))
        generated = Sample.from_json(sample)
        self.ctx.pool.add(generated)
        chain = await self.flow.process(generated)
        return {"chain": [version.to_json() for version in chain], "stats": self._new_stats(),
                "busy": self._new_busy(), "spent": self.ctx.models.budget.spent}

    def _new_stats(self) -> dict[str, dict[str, Any]]:
        now = self.ctx.models.stats()
        delta = {name: _minus(counters, self._reported.get(name, {}))
                 for name, counters in now.items()}
        self._reported = now
        return delta

    def _new_busy(self) -> dict[str, float]:
        now = dict(self.flow.busy)
        delta = {stage: seconds - self._busy.get(stage, 0.0) for stage, seconds in now.items()}
        self._busy = now
        return delta

    async def aclose(self) -> None:
        """Release the worker's backends."""
        await self.ctx.models.aclose()


def _minus(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in now.items():
        if value is None:
            out[key] = None
        else:
            out[key] = value - (before.get(key) or 0)
    return out
