"""Final answers: extract them from a response (:func:`extract`).

Shared by the voters (the teacher's answers) and the comparators (a student's attempt).
Comparing answers lives in :mod:`sdg_voting.equivalence`; :func:`equivalent`,
:func:`answer_key`, :func:`normalize` and :func:`as_number` are re-exported here.
"""

from __future__ import annotations

import re

from sdg_voting.equivalence import answer_key, compare, equivalent
from sdg_voting.normalize import normalize
from sdg_voting.numbers import as_number

__all__ = ["answer_key", "as_number", "compare", "equivalent", "extract", "normalize"]

# -- extraction ---------------------------------------------------------------------------

_BOXED = re.compile(r"\\(?:boxed|fbox)(?:\s*\{|[ \t]+(?P<bare>[^\s{}$]+))")
_HASHES = re.compile(r"^[ \t]*####[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_ANSWER_IS = re.compile(
    r"(?:\bthe\s+(?:final\s+)?answer\s+is\b|\bfinal\s+answer\s*(?:is\b|:))[ \t:]*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"\.(?:\s|$)")
_LAST_NUMBER = re.compile(
    r"(?:(?<![\w)])-)?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:/\d+)?|\.\d+)%?"
)


def _tag_answer(text: str, tag: str) -> str | None:
    name = re.escape(tag)
    found = re.findall(rf"<\s*{name}(?:\s[^<>]*)?>(.*?)<\s*/\s*{name}\s*>", text,
                       re.DOTALL | re.IGNORECASE)
    return found[-1].strip() if found and found[-1].strip() else None


def _boxed_answer(text: str) -> str | None:
    """The last outermost ``\\boxed{...}`` (a box inside a box is part of it)."""
    last, outer_end = None, 0
    for match in _BOXED.finditer(text):
        if match.start() < outer_end:
            continue
        if match.group("bare"):
            last = match.group("bare").rstrip(".,;")
            continue
        depth, start = 1, match.end()
        for i in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                if text[start:i].strip():
                    last, outer_end = text[start:i].strip(), i
                break
    return last


def _answer_is(text: str) -> str | None:
    found = list(_ANSWER_IS.finditer(text))
    if not found:
        return None
    rest = text[found[-1].end():].split("\n", 1)[0]
    answer = _SENTENCE_END.split(rest, maxsplit=1)[0]
    answer = answer.strip().strip("*").strip().rstrip(".").strip()
    return answer or None


def extract(text: str, tag: str = "answer") -> tuple[str | None, str | None]:
    """The final answer in ``text`` and how it was found: ``(answer, how)``.

    Tried in order, the last occurrence of each winning: ``<tag>X</tag>``, attributes and
    spaces inside the tags allowed (``"tag"``), ``\\boxed{X}`` with nested braces or
    ``\\boxed X`` up to the next space (``"boxed"``), a ``#### X`` line (``"####"``),
    "The (final) answer is X" / "Final answer: X" up to the end of its sentence
    (``"answer_is"``), and the last number in the text (``"last_number"``).

    :returns: ``(None, None)`` when nothing is found.
    """
    rules = (
        ("tag", lambda: _tag_answer(text, tag)),
        ("boxed", lambda: _boxed_answer(text)),
        ("####", lambda: (_HASHES.findall(text) or [None])[-1]),
        ("answer_is", lambda: _answer_is(text)),
        ("last_number", lambda: (_LAST_NUMBER.findall(text) or [None])[-1]),
    )
    for how, rule in rules:
        answer = rule()
        if answer:
            return answer, how
    return None, None


def free_answer(response: str, tag: str) -> tuple[str | None, str | None]:
    """The final answer in a free-text ``response`` and how it was found, as
    :func:`extract` finds it, except that a bare last number is not taken
    as the answer (in ``"Signed in 1776 in Philadelphia"`` the answer is not ``1776``)."""
    answer, how = extract(response, tag)
    return (None, None) if how == "last_number" else (answer, how)
