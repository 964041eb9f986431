"""The prompts and reply schemas of the ``llm_judge`` voter and comparator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MAX_CHARS = 2000
"""Longer candidates and answers are cut to this many characters in a judge's prompt."""

SYSTEM = "You are a careful, impartial judge of answers to questions."

PICK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"index": {"type": "integer"},
                   "agree": {"type": "array", "items": {"type": "integer"}},
                   "reason": {"type": "string"}},
    "required": ["index", "agree", "reason"],
}
"""The voter's judge reply: the number of the consensus candidate (from 1), the numbers of
the candidates that give the same answer, and why."""

GRADE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"verdicts": {"type": "array", "items": {
        "type": "object",
        "properties": {"correct": {"type": "boolean"}, "reason": {"type": "string"}},
        "required": ["correct", "reason"],
    }}},
    "required": ["verdicts"],
}
"""The comparator's judge reply: one verdict per numbered answer, in order."""


def clip(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` stripped and cut to ``limit`` characters, marked with an ellipsis where cut."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def _numbered(items: Sequence[str]) -> str:
    return "\n\n".join(f"[{i}] {clip(item)}" for i, item in enumerate(items, 1))


def pick_messages(question: str, candidates: Sequence[str]) -> list[dict[str, str]]:
    """Ask which of the numbered ``candidates`` answers to ``question`` is the consensus."""
    user = (
        f"Question:\n{clip(question)}\n\n"
        f"Candidate answers, numbered from 1 to {len(candidates)}:\n\n{_numbered(candidates)}\n\n"
        "Which candidate gives the answer that most candidates agree on, judging by meaning "
        "rather than wording? If none agree, pick the one most likely correct. Reply with its "
        "number as `index`, the numbers of all candidates that give that same answer as "
        "`agree`, and one sentence as `reason`."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def grade_messages(question: str, label: str, answers: Sequence[str]) -> list[dict[str, str]]:
    """Ask whether each of the numbered ``answers`` to ``question`` matches ``label``."""
    user = (
        f"Question:\n{clip(question)}\n\nReference answer:\n{clip(label)}\n\n"
        f"Answers to grade, numbered from 1 to {len(answers)}:\n\n{_numbered(answers)}\n\n"
        "For each numbered answer, in order, decide whether it gives the same final answer as "
        "the reference (the wording may differ; the meaning must not). Reply with `verdicts`: "
        f"exactly {len(answers)} objects, each with `correct` (true or false) and one sentence "
        "as `reason`."
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
