"""Progress bars for ``sdg run`` (only on a terminal), with the live model accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sdgcore.cli.output import models_table
from sdgcore.pipeline import Progress as RunProgress

_STAGES = {"generate": "generated", "label": "labelled", "solve": "solved",
           "rewrite": "rewritten", "learnable": "learnable", "too_easy": "too easy",
           "too_hard": "too hard", "dropped": "dropped"}


class LiveProgress(RunProgress):
    """Rich bars per stage (counts, rates, ETA towards the learnable target) and the model
    accounts, refreshed four times a second. Use as a context manager."""

    def __init__(self, console: Console, stats: Callable[[], dict[str, Any]]) -> None:
        self.bars = Progress(TextColumn("{task.description:>10}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                             console=console)
        self.tasks: dict[str, Any] = {}
        self.live = Live(get_renderable=lambda: Group(self.bars, models_table(stats(), "models")),
                         console=console, refresh_per_second=4, transient=True)

    def start(self, learnable_target: int) -> None:
        for stage, label in _STAGES.items():
            total = learnable_target if stage == "learnable" else None
            self.tasks[stage] = self.bars.add_task(label, total=total)

    def advance(self, stage: str) -> None:
        if stage in self.tasks:
            self.bars.advance(self.tasks[stage])

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)
