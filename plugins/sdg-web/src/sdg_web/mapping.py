"""Mapping a dataset's columns to the sample fields, and scoring it, by the judge.

The judge sees the card, the columns and a few rows (:mod:`sdg_web.probe`) and answers in
structured output (:data:`~sdg_web.prompts.MAPPING_SCHEMA`): a column per sample field, a
relevance and a quality score on a 1-5 rubric, and whether rows must be rewritten. A dataset's
weight, the share of the samples drawn from it, is relevance x quality.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from typing import Any

import attrs

from sdg_web.config import FIELDS, WebConfig
from sdg_web.probe import Probe
from sdg_web.prompts import MAPPING_SCHEMA, mapping_messages
from sdgcore import ChatRequest, Endpoint, InputError, Tokens, derive_seed


@attrs.frozen
class FieldMap:
    """How a dataset's rows become samples.

    :param fields: sample field -> column (``question`` always among them).
    :param relevance: the judge's relevance score (1-5); None when no judge was asked.
    :param quality: the judge's quality score (1-5); None when no judge was asked.
    :param needs_conversion: rows must be rewritten by the teacher to fit the sample shape.
    :param reason: the judge's one-sentence reason, or how the map was made.
    :param source: ``judge`` or ``config`` (``task.fields``).
    """

    fields: dict[str, str]
    relevance: int | None = None
    quality: int | None = None
    needs_conversion: bool = False
    reason: str = ""
    source: str = "judge"

    @property
    def weight(self) -> float:
        """The dataset's share of the draw: relevance x quality (1 when not scored)."""
        if self.relevance is None or self.quality is None:
            return 1.0
        return float(self.relevance * self.quality)

    def passes(self, config: WebConfig) -> str | None:
        """Why the scores are too low for ``config``, or None when they pass (or were not
        given)."""
        if self.relevance is not None and self.relevance < config.min_relevance:
            return f"relevance {self.relevance} < min_relevance {config.min_relevance}"
        if self.quality is not None and self.quality < config.min_quality:
            return f"quality {self.quality} < min_quality {config.min_quality}"
        return None


def configured(config: WebConfig, probe: Probe) -> FieldMap:
    """The map ``task.fields`` gives, checked against the dataset's columns.

    :raises InputError: a mapped column is not one of the dataset's.
    """
    missing = [c for c in config.fields.values() if c not in probe.columns]
    if missing:
        raise InputError(f"task.fields: {probe.ref} has no column {missing[0]!r} "
                         f"(its columns: {', '.join(probe.columns)})")
    return FieldMap(dict(config.fields), reason="task.fields", source="config")


def read_mapping(data: Any, columns: tuple[str, ...]) -> tuple[FieldMap | None, str]:
    """The judge's structured reply as a :class:`FieldMap`, or None and why it is unusable
    (no reply, or no question column among ``columns``)."""
    if not isinstance(data, MappingType):
        return None, "the judge gave no mapping"
    fields = {f: data[f] for f in FIELDS if isinstance(data.get(f), str) and data[f] in columns}
    if "question" not in fields:
        return None, f"no question column (the judge said {data.get('question')!r})"
    score = [min(5, max(1, int(data[k]))) for k in ("relevance", "quality")]
    return FieldMap(fields, score[0], score[1], bool(data.get("needs_conversion")),
                    " ".join(str(data.get("reason") or "").split())), "mapped"


async def judge_mapping(judge: Endpoint, config: WebConfig, probe: Probe,
                        seed: int) -> tuple[FieldMap | None, str, Tokens]:
    """Ask the judge to map and score ``probe``'s dataset: the map (with ``task.fields``
    over the judge's fields, where given) or None and why, and the request's tokens."""
    done = await judge.chat(ChatRequest(
        messages=mapping_messages(config.query, str(probe.ref), probe.card, probe.columns,
                                  probe.rows),
        temperature=0.0, seed=derive_seed(seed, "web", "map", str(probe.ref)),
        json_schema=MAPPING_SCHEMA))
    data = done.choices[0].data if done.ok and done.choices else None
    found, why = read_mapping(data, probe.columns)
    if found is None and not done.ok:
        why = f"the judge failed: {done.error}"
    if found is not None and config.fields:
        found = attrs.evolve(found, fields=configured(config, probe).fields)
    return found, why, done.tokens
