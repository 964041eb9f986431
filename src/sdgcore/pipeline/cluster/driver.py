"""The Ray executor's driver side: start the shared actors and the workers, send each
generated sample to the least busy worker, and fold what comes back into the run.

The driver keeps everything that decides *what* the run makes: the task's generator, the
stream's admission rule, the dedup gate and the checkpoints (:mod:`sdgcore.pipeline.stream`).
Workers do the per-sample stages. Each sample goes with the generated samples before it that
its worker has not been sent yet (at most :data:`~sdgcore.pool.RECENT`), so a rewriter that
combines samples sees the same partners there as here.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdgcore.config.loader import dump_config
from sdgcore.errors import SdgError, import_optional
from sdgcore.pipeline.cluster.shared import CacheService, SharedLimits, limit_specs, share
from sdgcore.pipeline.cluster.worker import SampleWorker
from sdgcore.pool import RECENT
from sdgcore.records import Sample
from sdgcore.runs import CACHE_FILE

if TYPE_CHECKING:
    from sdgcore.config.schema import RunConfig
    from sdgcore.models.roles import Models
    from sdgcore.pipeline.stages import Flow
    from sdgcore.plugins import PluginRecipe, Registry
    from sdgcore.pool import SamplePool

READY_SECONDS = 300.0
"""How long the workers may take to start (a cluster without room for them never does)."""

_VARIABLE = re.compile(r"\$\{(\w+)")


class RayExecutor:
    """The workers of one run and the actors they share.

    :param config: the run's config (``executor.type: ray``).
    :param run_dir: the run directory (the request cache is written there by an actor
        placed on this machine).
    :param recipe: how this process's plugin manager was made (the workers make the same).
    :param registry: the components, to write the config out for the workers.
    :param models: the driver's endpoints: they draw from the shared limits too.
    :param pool: the driver's sample pool.
    :param flow: the driver's stages, whose ``busy`` seconds and ``on_stage`` calls the
        workers' work is folded into.
    """

    def __init__(self, config: RunConfig, run_dir: Path, recipe: PluginRecipe | None,
                 registry: Registry, models: Models, pool: SamplePool, flow: Flow) -> None:
        if recipe is None:
            raise SdgError("executor.type: ray: a plugin registered as an object, not a module, "
                           "cannot be made again on the workers",
                           hint="register plugins through entry points or `sdg -p MODULE`")
        ray = import_optional("ray", extra="sdgcore[ray]", feature="executor 'ray'")
        settings = config.executor
        data = dump_config(config, registry)
        self._started = not ray.is_initialized()
        if self._started:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True,
                                       "runtime_env": {"env_vars": _variables(data)}}
            if settings.address is None:  # a Ray of our own, with room for every worker
                options["num_cpus"] = max(os.cpu_count() or 1,
                                          math.ceil(settings.workers * settings.cpus_per_worker))
            ray.init(address=settings.address, **options)
        try:
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            node = ray.get_runtime_context().get_node_id()
            here = NodeAffinitySchedulingStrategy(node, soft=False)
            specs = limit_specs(models)
            self.limits = ray.remote(SharedLimits).options(
                num_cpus=0, max_concurrency=100_000, scheduling_strategy=here
            ).remote(specs, models.budget.spent)
            self.cache = ray.remote(CacheService).options(
                num_cpus=0, scheduling_strategy=here).remote(str(run_dir / CACHE_FILE))
            share(models, self.limits, specs)  # the driver's own requests (the task's) count too
            self.budget = models.budget
            self.workers = [ray.remote(SampleWorker).options(
                num_cpus=settings.cpus_per_worker, num_gpus=settings.gpus_per_worker,
                max_concurrency=config.run.concurrency + 16,
            ).remote(data, str(run_dir), recipe, self.limits, specs, self.cache)
                for _ in range(settings.workers)]
        except BaseException:
            if self._started:  # a Ray this run started is not left behind
                ray.shutdown()
            raise
        self._ray = ray
        self._models, self._pool, self._flow = models, pool, flow
        self._load = [0] * len(self.workers)
        self._done = [0] * len(self.workers)
        self._sent = [0] * len(self.workers)  # each worker has the pool up to here

    async def start(self) -> None:
        """Wait until every worker is built.

        :raises SdgError: a worker failed to build, or the cluster has no room for them.
        """
        try:
            await asyncio.wait_for(asyncio.gather(*(w.ready.remote() for w in self.workers)),
                                   READY_SECONDS)
        except TimeoutError:
            raise SdgError(f"executor: the Ray cluster did not start {len(self.workers)} "
                           f"workers in {READY_SECONDS:g}s",
                           hint="lower executor.workers or executor.cpus_per_worker / "
                                "gpus_per_worker, or add nodes") from None
        except self._ray.exceptions.RayError as exc:
            raise SdgError(f"executor: a Ray worker failed to start: {_cause(exc)}") from None

    async def process(self, sample: Sample) -> list[Sample]:
        """Every version of ``sample`` a worker made (what :meth:`Flow.process` returns)."""
        index = min(range(len(self.workers)), key=self._load.__getitem__)
        position = self._pool.position(sample)
        earlier: list[Sample] = []
        if position is not None:
            earlier = self._pool.between(max(self._sent[index], position - RECENT), position)
            self._sent[index] = max(self._sent[index], position + 1)
        self._load[index] += 1
        try:
            got = await self.workers[index].process.remote(
                sample.to_json(), [s.to_json() for s in earlier])
        except self._ray.exceptions.RayTaskError as exc:
            raise SdgError(f"a Ray worker failed on sample {sample.id}: {_cause(exc)}") from exc
        finally:
            self._load[index] -= 1
        self._done[index] += 1
        chain = [Sample.from_json(line) for line in got["chain"]]
        self._account(got, chain)
        return chain

    def _account(self, got: dict[str, Any], chain: list[Sample]) -> None:
        by_name = {e.name: e for e in self._models.endpoints()}
        for name, counters in got["stats"].items():
            if name in by_name:
                by_name[name].stats.add(counters)
        for stage, seconds in got["busy"].items():
            self._flow.busy[stage] += seconds
        self.budget.seen(got["spent"])  # type: ignore[attr-defined]
        for number, version in enumerate(chain):
            if number:
                self._flow.on_stage("rewrite")
            if version.answer is not None:
                self._flow.on_stage("label")
            if version.pass_rate is not None:
                self._flow.on_stage("solve")

    def info(self) -> dict[str, Any]:
        """What ran where, for ``summary.json``: the workers and the samples each processed."""
        return {"type": "ray", "workers": len(self.workers), "samples": list(self._done)}

    async def aclose(self) -> None:
        """Close the workers and the cache, and stop the Ray this run started."""
        ray = self._ray
        try:
            await asyncio.gather(*(w.aclose.remote() for w in self.workers),
                                 return_exceptions=True)
            await self.cache.close.remote()
        finally:
            for actor in (*self.workers, self.limits, self.cache):
                ray.kill(actor)
            if self._started:
                ray.shutdown()


def _variables(data: Any) -> dict[str, str]:
    """The environment variables the config names (``${VAR}``) that are set here, for the
    workers (a cluster's nodes do not share this process's environment)."""
    names = set(_VARIABLE.findall(repr(data)))
    return {name: os.environ[name] for name in sorted(names) if name in os.environ}


def _cause(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None) or exc
    return f"{type(cause).__name__}: {cause}"
