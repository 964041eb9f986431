"""The prompts a ``local`` task sends: keyword extraction (once per run), one grounded sample
per retrieved context, and the judge's optional "answerable from the context" check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sdg_local.chunking import Chunk

SYSTEM = ("You write high-quality training data for language models from a user's documents. "
          "Follow the brief exactly and reply with JSON only.")

MAX_KEYWORD_CHARS = 60
"""A longer keyword is not a keyword."""


def keyword_schema(count: int) -> dict[str, Any]:
    """What the teacher returns when asked for ``count`` domain keywords (the bounds keep a
    grammar-constrained model from rambling)."""
    item = {"type": "string", "minLength": 1, "maxLength": MAX_KEYWORD_CHARS}
    return {"type": "object",
            "properties": {"keywords": {"type": "array", "items": item, "maxItems": count}},
            "required": ["keywords"]}


SAMPLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {"type": "string"},
        "answer": {"type": "string"},
        "reference": {"type": "string"},
        "evidence": {"type": "string"},
    },
    "required": ["question", "answer", "reference", "evidence"],
}
"""What the teacher returns for one grounded sample. No ``maxLength``: llama.cpp expands one
into a grammar rule nested that deep, and a long one crashes it."""

ANSWERABLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answerable": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["answerable", "reason"],
}
"""What the judge returns when asked whether a sample is answerable from its context."""

ANSWER_FORMAT = "End your reply with the short final answer alone, as <answer>...</answer>."
"""The instruction of a sample's ``answer_format`` (its tag: the default ``answer``): what
whoever answers it later is told."""

MAX_EXCERPT_CHARS = 600
"""An excerpt shown for keyword extraction is cut to this many characters."""

_LEAK = re.compile(
    r"\b(?:according to|based on|in|from|within|per|given)\s+(?:the|this|these|that|those)\s+"
    r"(?:given\s+|provided\s+|above\s+|following\s+|preceding\s+)?"
    r"(?:context|passages?|excerpts?|extracts?|snippets?|text|documents?|sources?)\b"
    r"|\b(?:above|given|provided|following|preceding)\s+"
    r"(?:context|passages?|excerpts?|extracts?|snippets?|text)\b"
    r"|\b(?:the|this)\s+(?:context|passages?|excerpts?|extracts?|snippets?|text|documents?)"
    r"\s+(?:above|below|provided|given|shown)\b"
    r"|\bexcerpts?\s+\d",
    re.IGNORECASE)


def leaks_context(question: str) -> bool:
    """Whether ``question`` points at its material instead of naming its subject ("according
    to the passage", "in the given text", "the excerpt above")."""
    return _LEAK.search(question) is not None


def clip(text: str, limit: int) -> str:
    """``text`` with whitespace collapsed, cut to ``limit`` characters (marked where cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def keyword_messages(excerpts: Sequence[str], count: int,
                     domain: Sequence[str]) -> list[dict[str, str]]:
    """The one request that asks for ``count`` domain keywords of a corpus, shown through
    ``excerpts`` (already sampled and bounded by the caller)."""
    parts = ["Below are excerpts from a collection of documents."]
    if domain:
        parts.append(f"The user describes its domain with these terms: {', '.join(domain)}.")
    parts.append("")
    for number, excerpt in enumerate(excerpts, start=1):
        parts += [f"Excerpt {number}:", clip(excerpt, MAX_EXCERPT_CHARS), ""]
    parts.append(
        f"List up to {count} keywords or short key phrases (1 to 4 words each) naming the "
        "specific subjects, people, places, events and concepts these documents are about, "
        "most important first. Use the documents' own words; no generic words such as "
        "'document' or 'introduction'. "
        'Reply with JSON only: {"keywords": ["...", "..."]}')
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def _label(chunk: Chunk) -> str:
    pages = (f"page {chunk.page_start}" if chunk.page_start == chunk.page_end
             else f"pages {chunk.page_start}-{chunk.page_end}")
    heading = f", section \"{chunk.heading}\"" if chunk.heading else ""
    return f"{chunk.path}, {pages}{heading}"


def sample_messages(chunks: Sequence[Chunk], topic: str | None) -> list[dict[str, str]]:
    """The request for one question grounded in ``chunks`` (the first is the focus)."""
    parts = ["Here are excerpts from the user's documents. The question you write must be "
             "about excerpt 1; the others are there for background.", ""]
    for number, chunk in enumerate(chunks, start=1):
        parts += [f"Excerpt {number} ({_label(chunk)}):", chunk.text.strip(), ""]
    if topic:
        parts += [f"Topic to lean towards, if excerpt 1 allows: {topic}", ""]
    parts.append(
        "Write ONE question that a careful reader of excerpt 1 can answer from it alone, with "
        "a short, unambiguous final answer (a name, a number, a date, a term or a short "
        "phrase). The question will be shown after the excerpts' text, without their numbers "
        "or labels: make it self-contained, name the subject it is about, and never refer to "
        "'the excerpt', 'the passage', 'the text', 'the context' or 'the document', nor say "
        "'according to ...'.\n"
        "Fields:\n"
        "- question: the question.\n"
        "- answer: the short final answer only.\n"
        "- reference: a full answer to the question that reasons from the facts in the "
        "excerpts and ends with the final answer as <answer>...</answer>.\n"
        "- evidence: the sentence of excerpt 1 that supports the answer, copied exactly.\n"
        'Reply with JSON only: {"question": "...", "answer": "...", "reference": "...", '
        '"evidence": "..."}')
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def answerable_messages(question: str, answer: str, context: str) -> list[dict[str, str]]:
    """The judge's request: can ``question`` be answered from ``context`` alone, and is
    ``answer`` what the context says?"""
    parts = ["Context:", context.strip(), "", f"Question: {question}",
             f"Proposed answer: {answer}", "",
             "Can the question be answered from the context alone, with the proposed answer? "
             "Say false when the context does not contain the facts needed, when the question "
             "is ambiguous, or when the proposed answer is not what the context says. "
             'Reply with JSON only: {"answerable": true or false, "reason": "one sentence"}']
    system = "You check training data for a language model strictly and reply with JSON only."
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n".join(parts)}]
