"""Driving a run through the stages that are built.

Built so far: prepare and generate (the task), with the resolved config and fingerprint kept
in the run directory and generated samples written atomically to ``generated.jsonl``. Label,
solve, rewrite, categorize and export are listed in :data:`STAGES` as not built yet, and a run
says so in its result instead of pretending to have done them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import attrs

from sdgcore.base import Task
from sdgcore.config.schema import RunConfig
from sdgcore.context import RunContext
from sdgcore.errors import SdgError
from sdgcore.models.registry import Models
from sdgcore.records import Sample
from sdgcore.store.rundir import write_atomic

CACHE_FILE = "requests.sqlite"
"""The run's request cache, inside the run directory."""
STAGES = ("prepare", "generate", "label", "solve", "rewrite", "categorize", "export")
BUILT = ("prepare", "generate")


@attrs.frozen
class RunResult:
    """What a run did.

    :param run_dir: the run directory.
    :param counts: samples per output file name.
    :param seconds: wall time per stage that ran.
    :param pending: stages that are not built yet and did not run.
    :param models: accounting per model endpoint (requests, retries, cache hits, tokens, cost).
    """

    run_dir: Path
    counts: dict[str, int]
    seconds: dict[str, float]
    pending: tuple[str, ...]
    models: dict[str, dict[str, Any]] = attrs.field(factory=dict)


def check_built(config: RunConfig) -> None:
    """Raise :class:`NotBuiltError` for a selected task or backend that is not built yet."""
    config.task.component.ensure_built("task.type", config.task.origin)
    for role, choice in config.models.items():
        choice.component.ensure_built(f"models.{role}.backend", choice.origin)


async def run(config: RunConfig, run_dir: Path, models: Models | None = None) -> RunResult:
    """Run the built stages of ``config`` in ``run_dir`` (already opened).

    :param models: the run's endpoints, if the caller made them (to watch their accounts);
        by default made here. Closed when the run ends, either way.
    :raises NotBuiltError: the configured task or a backend is not built yet.
    """
    check_built(config)
    if models is None:
        models = Models(config.models, run_dir / CACHE_FILE, seed=config.run.seed)
    ctx = RunContext(run_dir=run_dir, config=config, models=models)
    task: Task = config.task.create()
    seconds: dict[str, float] = {}
    try:
        start = time.perf_counter()
        await task.prepare(ctx)
        seconds["prepare"] = time.perf_counter() - start

        start = time.perf_counter()
        samples = await _generate(task, ctx, config.target.learnable)
        write_atomic(run_dir / "generated.jsonl", (s.to_json() + "\n" for s in samples))
        seconds["generate"] = time.perf_counter() - start
    finally:
        await models.aclose()

    pending = tuple(s for s in STAGES if s not in BUILT)
    result = RunResult(run_dir, {"generated.jsonl": len(samples)}, seconds, pending,
                       models.stats())
    write_atomic(run_dir / "summary.json", json.dumps(attrs.asdict(result), indent=2,
                                                     default=str) + "\n")
    return result


MAX_DUPLICATE_RUN = 200
"""Consecutive duplicates after which a task is taken to have run out of new samples."""


async def _generate(task: Task, ctx: RunContext, want: int) -> list[Sample]:
    samples: list[Sample] = []
    seen: set[str] = set()
    duplicates = 0
    stream = task.generate(ctx)
    try:
        async for sample in stream:
            if not isinstance(sample, Sample):
                raise SdgError(f"task {task.name!r} yielded {type(sample).__name__}, not a Sample")
            if sample.id in seen:
                duplicates += 1
                if duplicates >= MAX_DUPLICATE_RUN:
                    break
                continue
            duplicates = 0
            seen.add(sample.id)
            samples.append(sample)
            if len(samples) >= want:
                break
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
    return samples
