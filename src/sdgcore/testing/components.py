"""Small, real components for tests: a task that needs no model, and one that asks one.

Register them with ``make_plugin_manager(testing_plugin)`` (the fixture) or
``create_plugin_manager(plugins=[sdgcore.testing.components])``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import attrs

from sdgcore.answer_format import AnswerFormat
from sdgcore.base import Task
from sdgcore.context import RunContext
from sdgcore.hookspecs import hookimpl
from sdgcore.records import Sample, Source


@attrs.frozen
class ListTaskConfig:
    """``task:`` for ``type: list``: the questions to yield, in order, then stop; each
    answered as ``<answer_tag>...</answer_tag>`` (the samples' answer format)."""

    questions: list[str]
    repeat: bool = False
    answer_tag: str = "answer"


class ListTask(Task):
    """Yields a fixed list of questions as samples (for tests)."""

    name = "list"
    Config = ListTaskConfig

    async def generate(self, ctx: RunContext) -> AsyncIterator[Sample]:
        while True:
            for i, question in enumerate(self.config.questions):
                yield Sample(task=self.name, question=question,
                             answer_format=AnswerFormat(tag=self.config.answer_tag),
                             source=Source(kind="list", locator={"index": i}))
            if not self.config.repeat:
                return


@attrs.frozen
class PromptTaskConfig:
    """``task:`` for ``type: prompt``: each prompt is sent to ``role``, with the answer format
    (``<answer_tag>...</answer_tag>``) its questions are answered in; each reply is a
    question."""

    prompts: list[str]
    role: str = "teacher"
    answer_tag: str = "answer"


class PromptTask(Task):
    """Asks a model for one question per prompt (for tests of the model layer in a run)."""

    name = "prompt"
    Config = PromptTaskConfig

    async def generate(self, ctx: RunContext) -> AsyncIterator[Sample]:
        from sdgcore.models import ChatRequest

        endpoint = ctx.models[self.config.role]
        fmt = AnswerFormat(tag=self.config.answer_tag)
        for i, prompt in enumerate(self.config.prompts):
            content = f"{prompt}\n\nAnswer format (whoever answers later is told): {fmt.line()}"
            done = await endpoint.chat(ChatRequest(messages=[{"role": "user", "content": content}]))
            if done.ok:
                yield Sample(task=self.name, question=done.choices[0].text, answer_format=fmt,
                             source=Source(kind="teacher", ref=endpoint.backend.model,
                                           locator={"prompt": i}))


@hookimpl
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    register(ListTask)
    register(PromptTask)
