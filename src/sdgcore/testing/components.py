"""Small, real components for tests: a task that needs no model.

Register them with ``make_plugin_manager(testing_plugin)`` (the fixture) or
``create_plugin_manager(plugins=[sdgcore.testing.components])``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import attrs

from sdgcore.base import Task
from sdgcore.context import RunContext
from sdgcore.hookspecs import hookimpl
from sdgcore.records import Sample, Source


@attrs.frozen
class ListTaskConfig:
    """``task:`` for ``type: list``: the questions to yield, in order, then stop."""

    questions: list[str]
    repeat: bool = False


class ListTask(Task):
    """Yields a fixed list of questions as samples (for tests)."""

    name = "list"
    Config = ListTaskConfig

    async def generate(self, ctx: RunContext) -> AsyncIterator[Sample]:
        while True:
            for i, question in enumerate(self.config.questions):
                yield Sample(task=self.name, question=question,
                             source=Source(kind="list", locator={"index": i}))
            if not self.config.repeat:
                return


@hookimpl
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    register(ListTask)
