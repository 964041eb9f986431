"""The prompts a ``distill`` task sends its teacher: one to summarise the sample pattern,
one per generated question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sdg_distill.examples import Example

if TYPE_CHECKING:
    from sdg_distill.plugin import DistillConfig

SYSTEM = "You write high-quality training data for language models. Follow the brief exactly."
QUESTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"question": {"type": "string"}},
    "required": ["question"],
}
"""What the teacher returns for each generated question."""
PATTERN_EXAMPLES = 5
"""Examples shown when summarising the pattern."""
MAX_EXAMPLES = 3
"""Examples shown in each question prompt."""
MAX_EXAMPLE_CHARS = 1500
"""Longer example texts are cut to this many characters in prompts."""


def clip(text: str, limit: int = MAX_EXAMPLE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis where cut."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def _brief(config: DistillConfig) -> list[str]:
    lines = [f"Instruction: {config.instruction.strip()}"]
    if config.input_format:
        lines.append(f"Question format: {config.input_format.strip()}")
    lines.append(f"Answer format (whoever answers later is told): {config.answer_format.line()}")
    return lines


def pattern_messages(config: DistillConfig, examples: Sequence[Example]) -> list[dict[str, str]]:
    """The request that summarises, once per run, what the samples should look like."""
    parts = ["We are building a data set of questions. Here is its brief.", "", *_brief(config)]
    for number, example in enumerate(examples[:PATTERN_EXAMPLES], start=1):
        parts += ["", f"Example {number} question:", clip(example.question)]
        if example.reference:
            parts += [f"Example {number} reference answer:", clip(example.reference)]
    parts += ["", "In 2 to 4 sentences, describe what a question in this data set looks like: "
                  "its subject, difficulty, length, style and format. Reply with the "
                  "description only."]
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def question_messages(config: DistillConfig, pattern: str | None, topic: str | None,
                      keywords: Sequence[str],
                      examples: Sequence[Example]) -> list[dict[str, str]]:
    """The request for one new question, seeded with a topic, keywords and a few examples.

    :param pattern: the teacher's description of the samples, or None where there is none.
    """
    parts = _brief(config)
    if pattern:
        parts.append(f"What the questions look like: {pattern.strip()}")
    if topic:
        parts.append(f"Topic: {topic}")
    if keywords:
        parts.append(f"Work in these keywords: {', '.join(keywords)}")
    if examples:
        parts += ["", "Existing questions (for style only; do NOT copy or paraphrase them):"]
        for number, example in enumerate(examples, start=1):
            parts += [f"Example {number}:", clip(example.question)]
    parts += ["", "Write ONE new question that follows the instruction"
                  + (" and the format" if config.input_format else "")
                  + (", about the topic" if topic else "")
                  + ". It must be self-contained and different from the examples. Do not answer "
                    'it. Reply with JSON only: {"question": "..."}']
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def rotate(examples: Sequence[Example], index: int,
           count: int = MAX_EXAMPLES) -> list[Example]:
    """Up to ``count`` examples, starting at ``index`` (mod their number), so that successive
    prompts show different ones."""
    if not examples:
        return []
    return [examples[(index + j) % len(examples)] for j in range(min(count, len(examples)))]
