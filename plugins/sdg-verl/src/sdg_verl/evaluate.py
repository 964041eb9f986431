"""``sdg eval``: the pass rate of model endpoints (a base model, a trained one) on a run's
held-out samples, scored by the run's own comparator.

Each model is asked every question ``n`` times with the prompt training used (the export's
``messages``: the optional ``train.system_prompt``, then the sample's prompt with its answer
format), through the run's request cache with a seed per question, so a repeated eval pays
nothing and every model answers with the same seeds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from sdg_verl.export import messages
from sdgcore import Comparator, Models, RunContext, Sample, derive_seed, solve


@attrs.frozen
class Answered:
    """One model's attempts at one question.

    :param sample_id: the sample.
    :param category: its category in the run.
    :param correct: correct attempts.
    :param attempts: attempts scored (fewer than ``n`` when ``error`` is set).
    :param error: why the model gave fewer than ``n`` answers, or None.
    """

    sample_id: str
    category: str | None
    correct: int
    attempts: int
    error: str | None = None


@attrs.frozen
class Score:
    """One model's result over the questions.

    :param name: the name it was given (``--model NAME=...``).
    :param model: the model name its endpoint serves.
    :param answered: per question, in sample order.
    """

    name: str
    model: str | None
    answered: tuple[Answered, ...]

    def pass_rate(self, category: str | None = None) -> float | None:
        """Correct / scored attempts over the questions (of ``category``); None with none."""
        rows = [a for a in self.answered if category is None or a.category == category]
        attempts = sum(a.attempts for a in rows)
        return sum(a.correct for a in rows) / attempts if attempts else None

    def solved(self) -> float | None:
        """The share of answered questions with at least one correct attempt (pass@n)."""
        rows = [a for a in self.answered if a.attempts]
        return sum(a.correct > 0 for a in rows) / len(rows) if rows else None

    def failed(self) -> int:
        """Questions the model gave no answer to (its requests failed)."""
        return sum(not a.attempts for a in self.answered)

    def as_dict(self) -> dict[str, Any]:
        """For ``eval.json``."""
        categories = sorted({a.category or "none" for a in self.answered})
        errors = Counter(a.error for a in self.answered if a.error)
        return {
            "name": self.name, "model": self.model,
            "questions": len(self.answered),
            "attempts": sum(a.attempts for a in self.answered),
            "pass_rate": self.pass_rate(), "solved": self.solved(),
            "by_category": {c: self.pass_rate(c) for c in categories if c != "none"},
            "failed": self.failed(), "errors": dict(errors.most_common()),
            "per_sample": {a.sample_id: [a.correct, a.attempts] for a in self.answered},
        }


async def evaluate(ctx: RunContext, models: Models, names: Mapping[str, str],
                   comparator: Comparator, samples: list[Sample], *, n: int,
                   temperature: float, system_prompt: str | None,
                   concurrency: int) -> list[Score]:
    """Each named model's attempts at every sample, ``concurrency`` requests at a time.

    :param names: the names to score -> their key in ``models``.
    """
    slots = asyncio.Semaphore(concurrency)

    async def one(key: str, sample: Sample) -> Answered:
        async with slots:
            got = await solve(ctx, models[key], comparator, sample,
                              messages(sample, system_prompt), n=n, temperature=temperature,
                              seed=derive_seed(ctx.seed, sample.id, "eval"))
        return Answered(sample.id, sample.category, sum(a.correct for a in got.attempts),
                        len(got.attempts), got.error)

    jobs = {name: [asyncio.ensure_future(one(key, s)) for s in samples]
            for name, key in names.items()}
    try:
        done = {name: await asyncio.gather(*tasks) for name, tasks in jobs.items()}
    except BaseException:
        for tasks in jobs.values():
            for task in tasks:
                task.cancel()
        raise
    return [Score(name, models[key].backend.model or None, tuple(done[name]))
            for name, key in names.items()]


def table(scores: list[Score]) -> list[list[str]]:
    """Rows for the side-by-side table: a header, then one metric a row (a delta column
    when two models are compared)."""
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    two = len(scores) == 2
    header = ["", *(s.name for s in scores), *(["change"] if two else [])]
    rows = [header]

    def add(label: str, values: list[float | None]) -> None:
        delta = []
        if two:
            a, b = values
            delta = ["-" if a is None or b is None else f"{(b - a) * 100:+.1f} pts"]
        rows.append([label, *(pct(v) for v in values), *delta])

    add("pass rate", [s.pass_rate() for s in scores])
    add("solved (pass@n)", [s.solved() for s in scores])
    categories = {a.category for score in scores for a in score.answered if a.category}
    for category in sorted(categories):
        add(f"  {category}", [s.pass_rate(category) for s in scores])
    rows.append(["failed questions", *(str(s.failed()) for s in scores),
                 *([""] if two else [])])
    return rows


def write_report(path: Path, scores: list[Score], extra: dict[str, Any]) -> None:
    """``eval.json``: the settings and each model's result."""
    import json

    from sdgcore import write_atomic

    write_atomic(path, json.dumps({**extra, "models": [s.as_dict() for s in scores]},
                                  indent=2) + "\n")
