"""Registers the ``verl`` trainer (not built yet)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import attrs

from sdgcore import Trainer, hookimpl


@attrs.frozen
class VerlConfig:
    """``train:`` for ``type: verl``.

    :param mode: ``sft`` or ``grpo``.
    :param model: the model to train (a Hugging Face id or a local path).
    :param categories: which exported categories to train on.
    :param output: where the verl parquet files and launch script go (in the run dir).
    """

    mode: Literal["sft", "grpo"] = "sft"
    model: str | None = None
    categories: list[Literal["learnable", "too_easy", "too_hard"]] = attrs.field(
        factory=lambda: ["learnable"]
    )
    output: Path = Path("verl")


class VerlTrainer(Trainer):
    """Parquet export, reward function and launch for verl SFT / GRPO."""

    name = "verl"
    Config = VerlConfig
    status = "planned"


@hookimpl
def sdg_register_trainers(register: Callable[[type[Trainer]], None]) -> None:
    register(VerlTrainer)
