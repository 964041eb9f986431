"""Fill-in-the-blank questions made from a chunk's own sentences, with no model request.

A cloze question blanks one key term of a sentence of the focus chunk: a run keyword where the
sentence has one, else a number, else a capitalised name inside the sentence. The answer is
the blanked term, so it is short and can be scored exactly, and the sentence is the evidence.
It needs no generator model, so it works with any teacher, the embedded one included.

The blanked term is the sample's known answer (:attr:`sdgcore.Sample.gold`, set from
:attr:`Draft.answer <sdg_local.drafts.Draft.answer>`), and the sentence its ``evidence``. By
default (``label: vote``) the voter still labels each question from its context like any
other; ``label: gold`` takes the blanked term as the label with no teacher request, and
``label: verify`` drops a question whose vote disagrees with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sdg_local.drafts import Draft

BLANK = "_____"
MIN_WORDS, MAX_WORDS = 8, 45
"""Sentences shorter or longer than this (in words) make poor questions and are passed over."""

_SENTENCE = re.compile(r"[^.!?]+[.!?]")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?![\w.])")
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][a-z]{3,}(?: (?:of |the )?[A-Z][a-z]+)*")


def sentences(text: str) -> list[str]:
    """The whole sentences of ``text`` worth blanking, whitespace collapsed, in order (a chunk
    may begin mid-sentence: a fragment that starts in lower case is passed over)."""
    found = (" ".join(m.group().split()) for m in _SENTENCE.finditer(text))
    return [s for s in found
            if MIN_WORDS <= len(s.split()) <= MAX_WORDS and not s[0].islower()]


def _terms(sentence: str, keywords: Sequence[str]) -> list[tuple[int, int]]:
    spans = []
    for word in keywords:
        match = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, re.IGNORECASE)
        if match and len(word) >= 3:
            spans.append(match.span())
    if not spans:
        spans = [m.span() for m in _NUMBER.finditer(sentence)]
    if not spans:
        spans = [m.span() for m in _NAME.finditer(sentence)]
    return spans


def make_cloze(text: str, keywords: Sequence[str], index: int) -> Draft | None:
    """A cloze question from ``text`` (a chunk), or None when no sentence has a term to blank.

    :param keywords: the run's keywords, preferred as the blanked term.
    :param index: the attempt's number: it rotates which sentence and term are used, so a
        chunk asked for several samples gives different ones.
    """
    candidates = [(s, span) for s in sentences(text) for span in _terms(s, keywords)]
    if not candidates:
        return None
    sentence, (start, end) = candidates[index % len(candidates)]
    term = sentence[start:end]
    blanked = f"{sentence[:start]}{BLANK}{sentence[end:]}"
    return Draft(question=f'Fill in the blank: "{blanked}" What is the missing term?',
                 answer=term, reference=f"The missing term is {term}: {sentence}",
                 evidence=sentence)
