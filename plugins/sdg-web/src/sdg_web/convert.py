"""Turning a dataset row into a sample's text: directly where the row already is a question
with a short answer, else rewritten by the teacher.

A mapped ``answer`` cell that is short is the gold answer as it is. A long one (a worked
solution) gives its final answer where it marks one (``#### 72``, ``\\boxed{72}``,
``<answer>72</answer>``, "The answer is 72"), and is kept as the reference. A row with no
readable short answer, or from a dataset the judge said must be rewritten, goes to the teacher
(``convert: auto``), which rewrites it from the row alone (:data:`~sdg_web.prompts.
CONVERT_SCHEMA`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from sdg_web.rows import cell_text
from sdgcore import Completion

MAX_ANSWER_WORDS = 12
"""A longer answer is not a short answer: its final answer is looked for inside it."""
_MARKERS = (
    re.compile(r"####\s*(.+?)\s*$", re.S),
    re.compile(r"<answer>\s*(.*?)\s*</answer>", re.S | re.I),
    re.compile(r"(?:final answer|the answer) is[:\s]*\**\s*(.+?)\**\s*\.?\s*$", re.I | re.M),
)
_BOXED = "\\boxed{"


@attrs.frozen
class Draft:
    """A sample's text made from a row.

    :param question: what is asked.
    :param gold: the known short answer, or None where none could be read.
    :param reference: a worked or full answer, if any.
    :param context: a passage the question is about, if any.
    :param converted: whether the teacher rewrote the row.
    """

    question: str
    gold: str | None = None
    reference: str | None = None
    context: str | None = None
    converted: bool = False


def short_answer(text: str) -> str | None:
    """The short final answer in an answer cell: the cell itself when it is short (one line,
    at most :data:`MAX_ANSWER_WORDS` words), else the final answer it marks, else None."""
    text = text.strip()
    if not text:
        return None
    if "\n" not in text and len(text.split()) <= MAX_ANSWER_WORDS:
        return text
    found = [_boxed(text)] + [m.group(1).strip() for p in _MARKERS
                              for m in [_last(p, text)] if m]
    for answer in found:
        if answer and "\n" not in answer and len(answer.split()) <= MAX_ANSWER_WORDS:
            return answer.strip().rstrip(".")
    return None


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    matches = list(pattern.finditer(text))
    return matches[-1] if matches else None


def _boxed(text: str) -> str | None:
    start = text.rfind(_BOXED)
    if start == -1:
        return None
    depth, i = 1, start + len(_BOXED)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j].strip()
    return None


def mapped(row: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, str]:
    """The row's text for each mapped sample field (empty where the cell is)."""
    return {name: cell_text(row.get(column)) for name, column in fields.items()}


def direct(texts: Mapping[str, str]) -> Draft | None:
    """The draft a mapped row makes as it is, or None when it has no question. Its ``gold``
    is None when no short answer can be read (the row then needs the teacher, or voting)."""
    question = texts.get("question", "")
    if not question:
        return None
    answer = texts.get("answer", "")
    gold = short_answer(answer) if answer else None
    reference = texts.get("reference") or (answer if answer and answer != gold else None)
    return Draft(question, gold, reference or None, texts.get("context") or None)


def read_conversion(done: Completion, context: str | None) -> tuple[Draft | None, str]:
    """The teacher's rewritten row and ``"made"``, or None and why not (``failed``, ``empty``,
    ``long_answer``)."""
    data = done.choices[0].data if done.ok and done.choices else None
    if not isinstance(data, Mapping):
        return None, "failed"
    question = " ".join(str(data.get("question") or "").split())
    answer = " ".join(str(data.get("answer") or "").split())
    if not question or not answer:
        return None, "empty"
    if len(answer.split()) > MAX_ANSWER_WORDS:
        return None, "long_answer"
    reference = str(data.get("reference") or "").strip() or None
    return Draft(question, answer, reference, context, converted=True), "made"
