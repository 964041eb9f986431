"""The answer-format contract: how a sample's final answer is written, stated once by its task.

A task sets :attr:`Sample.answer_format <sdgcore.Sample.answer_format>`; from there it reaches
every model that answers the sample (the teacher voting, the student, the trained model: the
line of :meth:`AnswerFormat.line` ends :meth:`Sample.prompt <sdgcore.Sample.prompt>`) and every
voter and comparator that reads a final answer back (:attr:`AnswerFormat.tag`). A task that
generates with a model tells it the same line.
"""

from __future__ import annotations

import attrs


def _tag(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if not value or not value.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"answer tag {value!r} must be a non-empty name "
                         "(letters, digits, '_' or '-')")


@attrs.frozen
class AnswerFormat:
    """How a sample's final answer is written.

    :param tag: the tag a final answer is wrapped in (``<answer>...</answer>``): the
        voters and comparators extract the answer from it.
    :param instruction: what an answering model is told about the format, in the task's own
        words; None for the default line built from ``tag`` (:meth:`line`). A custom
        instruction should still ask for the ``tag``, or the answer is found by the
        extractor's fallbacks (``\\boxed{}``, ``####``, ...).
    """

    tag: str = attrs.field(default="answer", validator=_tag)
    instruction: str | None = None

    def line(self) -> str:
        """The line every answering model is told: the instruction, or
        ``"End your reply with the final answer alone, as <tag>...</tag>."``."""
        if self.instruction and self.instruction.strip():
            return self.instruction.strip()
        return f"End your reply with the final answer alone, as <{self.tag}>...</{self.tag}>."
