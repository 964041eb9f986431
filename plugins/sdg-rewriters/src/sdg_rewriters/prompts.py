"""The teacher's prompt for a difficulty rewrite.

:func:`build_messages` turns a sample and a direction into chat messages: a system message with
the instruction for that direction (built in, or the config's replacement), and a user message
with the material the teacher needs: the original question, its reference response and answer,
why it is being rewritten (the student's record), for ``"easier"`` one failed student attempt,
and the answer format the new question is still answered in.
"""

from __future__ import annotations

from typing import Any

from sdgcore import Direction, Sample

HARDER = (
    "You rewrite exam questions to make them harder for a student model that solves them too "
    "easily. Make the question harder in one or more of these ways: require an extra reasoning "
    "step, add a constraint, or phrase it less directly so the student must work out what is "
    "asked. The new question must stay self-contained, on the same topic, and have exactly one "
    "well-defined correct answer. Do not include the answer or a solution in the question."
)
"""The built-in instruction for making a question harder."""

EASIER = (
    "You rewrite exam questions to make them easier for a student model that fails them too "
    "often. Make the question easier in one or more of these ways: remove a reasoning step, "
    "give a hint, or use simpler numbers. Keep the same topic and the same kind of task. The "
    "new question must stay self-contained and have exactly one well-defined correct answer. "
    "Do not include the answer itself in the question."
)
"""The built-in instruction for making a question easier."""

OUTPUT = (
    'Reply with a JSON object: "question" is the full rewritten question, and "change" says '
    "in one sentence what you changed."
)
"""How the teacher is asked to reply (the request also carries the JSON schema)."""

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "change": {"type": "string"}},
    "required": ["question"],
}
"""The JSON schema of the teacher's reply."""

ATTEMPT_CHARS = 1500
"""At most this many characters of a failed student attempt are shown."""

CONTEXT_CHARS = 4000
"""At most this many characters of a sample's grounding context (or reference) are shown."""


def build_messages(sample: Sample, direction: Direction,
                   instruction: str | None = None) -> list[dict[str, str]]:
    """The chat messages asking the teacher to rewrite ``sample`` in ``direction``.

    :param sample: the sample to rewrite (with its attempts or pass rate, where known).
    :param direction: ``"harder"`` or ``"easier"``.
    :param instruction: replaces the built-in instruction for ``direction`` when set.
    """
    system = instruction or (HARDER if direction == "harder" else EASIER)
    parts = [f"Make this question {direction}.", f"Original question:\n{sample.question}"]
    if sample.context:
        parts.append("The question is grounded in this context, which the new question keeps:\n"
                     + truncate(sample.context, CONTEXT_CHARS))
    if sample.reference:
        parts.append("Reference response:\n" + truncate(sample.reference, CONTEXT_CHARS))
    if sample.answer is not None:
        parts.append(f"Reference answer: {sample.answer}")
    parts.append(f"Why: {reason(sample, direction)}.")
    if direction == "easier":
        failed = next((a for a in sample.attempts if not a.correct), None)
        if failed is not None:
            lines = ["One failed student attempt, to show where the student went wrong:",
                     truncate(failed.response, ATTEMPT_CHARS)]
            if failed.answer is not None:
                lines.append(f"(The student's answer: {failed.answer})")
            parts.append("\n".join(lines))
    parts.append("The new question is answered in the same format; this line will still "
                 f"follow it:\n{sample.answer_format.line()}")
    parts.append(OUTPUT)
    return [{"role": "system", "content": system},
            {"role": "user", "content": "\n\n".join(parts)}]


def reason(sample: Sample, direction: Direction) -> str:
    """Why the sample is rewritten: the student's record on it, in words."""
    if sample.attempts:
        solved = sum(1 for a in sample.attempts if a.correct)
        return f"the student solved it in {solved} of {len(sample.attempts)} attempts"
    if sample.pass_rate is not None:
        return f"the student solved it in {sample.pass_rate:.0%} of its attempts"
    return "the student found it too easy" if direction == "harder" else \
        "the student found it too hard"


def truncate(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its start and its end (where a final
    answer usually is)."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}\n[... {len(text) - limit} characters cut ...]\n{text[-tail:]}"
