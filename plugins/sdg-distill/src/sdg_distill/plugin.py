"""Registers the ``distill`` task (not built yet: its config is final, its generator is not)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs

from sdgcore import Task, hookimpl


@attrs.frozen
class DistillConfig:
    """``task:`` for ``type: distill``.

    :param instruction: what kind of samples to make.
    :param input_format: how a question should look, if it matters.
    :param output_format: how a reference response should look (e.g. end with \\boxed{}).
    :param examples: a JSONL file of demo samples (``question``, ``reference`` keys).
    :param topics: topic seeds cycled through for diversity.
    :param keywords: keyword seeds mixed into prompts for diversity.
    :param temperature: the teacher's sampling temperature while generating.
    :param dedup_threshold: reject a sample this similar (0-1) to one already made.
    :param model: the model role that generates.
    """

    instruction: str
    input_format: str | None = None
    output_format: str | None = None
    examples: Path | None = None
    topics: list[str] = attrs.field(factory=list)
    keywords: list[str] = attrs.field(factory=list)
    temperature: float = 1.0
    dedup_threshold: float = attrs.field(
        default=0.9, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)]
    )
    model: str = "teacher"


class DistillTask(Task):
    """Teacher-only generation from an instruction, format hints and demo examples."""

    name = "distill"
    Config = DistillConfig
    status = "planned"


@hookimpl
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    register(DistillTask)
