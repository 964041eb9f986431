"""The prompts the ``web`` task sends, and the JSON schemas of the replies it asks for: search
keywords (teacher), a dataset's field mapping and scores (judge), a row converted into a
sample (teacher)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

SYSTEM = ("You help build training data for language models from existing public datasets. "
          "Follow the brief exactly and reply with JSON only.")
SAMPLE_SHAPE = ("a self-contained question, and its short final answer (a number, a word, a "
                "name or a short phrase) that can be checked exactly")
"""What one sample of this task is, as every prompt describes it."""
MAX_CELL_CHARS = 400
"""A cell shown to the judge is cut to this many characters."""
MAX_CARD_CHARS = 1500
"""The dataset card shown to the judge is cut to this many characters."""
MAX_ROW_CHARS = 6000
"""A row shown to the teacher for conversion is cut to this many characters."""

KEYWORDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"keywords": {"type": "array", "items": {"type": "string"}}},
    "required": ["keywords"],
}
_COLUMN = {"type": ["string", "null"]}
MAPPING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": _COLUMN, "answer": _COLUMN, "reference": _COLUMN, "context": _COLUMN,
        "relevance": {"type": "integer"}, "quality": {"type": "integer"},
        "needs_conversion": {"type": "boolean"}, "reason": {"type": "string"},
    },
    "required": ["question", "answer", "relevance", "quality", "needs_conversion", "reason"],
}
"""The judge's reply about one dataset: a column (or null) per sample field, the rubric
scores and whether rows must be rewritten to fit the sample shape."""
CONVERT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"},
                   "reference": {"type": "string"}},
    "required": ["question", "answer"],
}
"""The teacher's reply for one row rewritten as a sample."""
RUBRIC = """Score the dataset on two scales from 1 to 5:
- relevance: 5 = exactly the domain and kind of question wanted; 3 = related, partly usable;
  1 = unrelated.
- quality: 5 = clean, correct, self-contained rows with checkable answers; 3 = usable with
  some noise; 1 = broken, empty or unusable rows."""


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis where cut."""
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def _messages(user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def keywords_messages(query: str, count: int) -> list[dict[str, str]]:
    """Ask for up to ``count`` Hub search terms for the domain ``query``."""
    return _messages(
        f"We want public datasets on the Hugging Face Hub for this domain: {query.strip()}\n\n"
        f"Give up to {count} short search terms (1 to 3 words each, the words dataset names "
        "use) that would find such datasets by name. Most useful first. Reply with JSON only: "
        '{"keywords": ["...", "..."]}')


def mapping_messages(query: str | None, dataset: str, card: str, columns: Sequence[str],
                     rows: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Ask the judge to map ``dataset``'s columns to the sample fields and to score it."""
    shown = [{k: clip(_text(v), MAX_CELL_CHARS) for k, v in row.items()} for row in rows]
    parts = [f"Each training sample we make is {SAMPLE_SHAPE}."]
    if query:
        parts.append(f"The domain we want: {query.strip()}")
    parts += ["", f"Dataset: {dataset}", f"Columns: {', '.join(columns)}"]
    if card.strip():
        parts += ["Dataset card (excerpt):", clip(card, MAX_CARD_CHARS)]
    parts += ["", "Example rows:", *(json.dumps(r, ensure_ascii=False) for r in shown), "",
              "Map the columns to the sample fields, each a column name or null: question "
              "(the text to ask), answer (the column holding the known answer, even if it "
              "holds a worked solution around it), reference (a worked or full answer, if "
              "any), context (a passage the question is about, if any).",
              "needs_conversion: true if the rows are not already a question with a short "
              "answer (a statement, a dialogue, a long-form answer), so each must be "
              "rewritten.", "", RUBRIC, "",
              'Reply with JSON only: {"question": ..., "answer": ..., "reference": ..., '
              '"context": ..., "relevance": 1-5, "quality": 1-5, "needs_conversion": '
              'true/false, "reason": "one sentence"}']
    return _messages("\n".join(parts))


def convert_messages(fields: Mapping[str, str], answer_line: str) -> list[dict[str, str]]:
    """Ask the teacher to rewrite one row (its mapped ``fields``: name -> text) as a sample."""
    shown = clip("\n".join(f"{name}: {text}" for name, text in fields.items() if text),
                 MAX_ROW_CHARS)
    return _messages(
        f"Rewrite this dataset row as one training sample: {SAMPLE_SHAPE}.\n\n{shown}\n\n"
        "Use only what the row says: the answer must be the row's own answer, shortened, "
        "not a new one. Include in the question everything needed to answer it (no "
        "reference to 'the row', 'the passage' or 'the text'). reference: a short worked "
        f"answer ending with the final answer. Whoever answers later is told: {answer_line}"
        '\n\nReply with JSON only: {"question": "...", "answer": "...", "reference": "..."}')


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
