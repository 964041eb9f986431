"""The teacher's prompts for a rewrite.

:func:`build_messages` turns a sample and a direction into chat messages: a system message with
the rewriter's instruction (for ``difficulty``: the direction's instruction and one strategy),
and a user message
with the material the teacher needs: the original question, its reference response and answer,
why it is being rewritten (the student's record), for ``"easier"`` one failed student attempt,
and the answer format the new question is still answered in.
"""

from __future__ import annotations

from typing import Any

from sdgcore import Direction, Sample

HARDER = (
    "You rewrite exam questions to make them harder for a student model that solves them too "
    "easily. The new question must stay self-contained, on the same topic, and have exactly "
    "one well-defined correct answer. Do not include the answer or a solution in the question."
)
"""The built-in instruction for making a question harder (a strategy line follows it)."""

EASIER = (
    "You rewrite exam questions to make them easier for a student model that fails them too "
    "often. Keep the same topic and the same kind of task. The new question must stay "
    "self-contained and have exactly one well-defined correct answer. Do not include the "
    "answer itself in the question."
)
"""The built-in instruction for making a question easier (a strategy line follows it)."""

HARDER_STRATEGIES: dict[str, str] = {
    "constraint": "Add a constraint or condition that the answer must also satisfy.",
    "steps": "Require one or two more reasoning or calculation steps to reach the answer.",
    "depth": "Ask for what must be inferred or combined from the facts, not read off them: "
             "deepen the reasoning the question needs.",
    "combine": "Combine it with the second question below into one question whose answer "
               "needs the answers to both; it is still answered with one final answer.",
}
"""How a question is made harder; the ``difficulty`` rewriter picks one per rewrite."""

EASIER_STRATEGIES: dict[str, str] = {
    "decompose": "Ask only for one sub-problem of the original (its first step): a smaller "
                 "question whose answer is part of the way to the original answer.",
    "hint": "Keep the question and give a hint that points at the method or the first step.",
    "simplify": "Use simpler numbers or fewer elements, keeping the same kind of task.",
}
"""How a question is made easier; the ``difficulty`` rewriter picks one per rewrite."""

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
                   system: str) -> list[dict[str, str]]:
    """The chat messages asking the teacher to rewrite ``sample`` in ``direction``.

    :param sample: the sample to rewrite (with its attempts or pass rate, where known).
    :param direction: ``"harder"`` or ``"easier"``.
    :param system: the instruction (the rewriter's: built in with its strategy, or the
        config's replacement).
    """
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


def difficulty_system(direction: Direction, strategy: str, partner: str | None = None) -> str:
    """The ``difficulty`` rewriter's instruction for ``direction`` with ``strategy``
    (``combine``: with the ``partner`` question)."""
    if direction == "harder":
        text = f"{HARDER}\n\nHow to make it harder: {HARDER_STRATEGIES[strategy]}"
        if partner is not None:
            text += f"\n\nThe second question:\n{truncate(partner, CONTEXT_CHARS)}"
        return text
    return f"{EASIER}\n\nHow to make it easier: {EASIER_STRATEGIES[strategy]}"
