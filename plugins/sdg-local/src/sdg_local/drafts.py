"""Reading the teacher's grounded sample out of its reply, and telling new questions from
near-duplicates of earlier ones."""

from __future__ import annotations

import re

import attrs

from sdg_local.prompts import leaks_context
from sdgcore import Completion
from sdgcore import text_tokens as tokens

MIN_QUESTION_WORDS = 3
"""A shorter question is rejected: it cannot name what it asks about."""
MAX_ANSWER_WORDS = 12
"""A longer final answer is rejected: the ``exact`` comparator cannot score free text."""
DUPLICATE = 0.9
"""Questions at least this similar (Jaccard of word 3-shingles) are near-duplicates."""
_OPENERS = frozenset("""what which who whom whose when where why how in on at for by from to
name list give state identify explain describe define compare calculate find determine
summarize summarise""".split())


@attrs.frozen
class Draft:
    """A sample as the teacher wrote it.

    :param question: the question, stripped.
    :param answer: the short final answer.
    :param reference: the full grounded response.
    :param evidence: the sentence the teacher says supports the answer.
    """

    question: str
    answer: str
    reference: str
    evidence: str


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def read_draft(done: Completion) -> tuple[Draft | None, str]:
    """The draft in a structured reply and ``"made"``, or None and why not: ``failed`` (no
    usable reply), ``empty`` (no question or no answer), ``short`` (a question of fewer than
    :data:`MIN_QUESTION_WORDS` words), ``not_a_question`` (no question mark and no question
    word or instruction first, or an answer that repeats the question), ``long_answer`` (more than
    :data:`MAX_ANSWER_WORDS` words) or ``leaky`` (the question mentions "the passage" or
    the like, which its reader will not see)."""
    if not done.ok or not done.choices or not isinstance(done.choices[0].data, dict):
        return None, "failed"
    data = done.choices[0].data
    question, answer = _text(data, "question"), " ".join(_text(data, "answer").split())
    if not tokens(question) or not tokens(answer):
        return None, "empty"
    if len(question.split()) < MIN_QUESTION_WORDS:
        return None, "short"
    if not is_question(question) or _words(answer) == _words(question):
        return None, "not_a_question"
    if len(answer.split()) > MAX_ANSWER_WORDS:
        return None, "long_answer"
    if leaks_context(question):
        return None, "leaky"
    return Draft(question, answer, _text(data, "reference"), _text(data, "evidence")), "made"


def is_question(text: str) -> bool:
    """Whether ``text`` asks something: it has a question mark, or opens with a question word
    or an instruction ("Name the ...")."""
    first = tokens(text)[0] if tokens(text) else ""
    return "?" in text or first in _OPENERS


def found_in(evidence: str, context: str) -> bool:
    """Whether ``evidence`` occurs in ``context``, ignoring case, spacing and punctuation."""
    needle = " ".join(tokens(evidence))
    return bool(needle) and needle in " ".join(tokens(context))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())
