"""Registers the ``exact``, ``semantic`` and ``llm_judge`` voters (the last two not built yet)."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from sdg_voting.exact import ExactComparator, ExactConfig, ExactVoter
from sdgcore import Comparator, Voter, hookimpl

__all__ = ["ExactComparator", "ExactConfig", "ExactVoter", "JudgeConfig", "JudgeVoter",
           "SemanticConfig", "SemanticVoter", "sdg_register_comparators", "sdg_register_voters"]

_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]


@attrs.frozen
class SemanticConfig:
    """``voter:`` for ``type: semantic`` (needs ``sdg-voting[semantic]``)."""

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=_unit)
    model: str = "all-MiniLM-L6-v2"
    threshold: float = attrs.field(default=0.85, validator=_unit)


@attrs.frozen
class JudgeConfig:
    """``voter:`` for ``type: llm_judge``: the judge picks the consensus among candidates."""

    k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    temperature: float = 0.8
    min_agreement: float = attrs.field(default=0.5, validator=_unit)
    judge: str = "judge"


class SemanticVoter(Voter):
    """Majority vote over clusters of answer embeddings."""

    name = "semantic"
    Config = SemanticConfig
    status = "planned"


class JudgeVoter(Voter):
    """An LLM judge picks the consensus answer."""

    name = "llm_judge"
    Config = JudgeConfig
    status = "planned"


@hookimpl
def sdg_register_voters(register: Callable[[type[Voter]], None]) -> None:
    for cls in (ExactVoter, SemanticVoter, JudgeVoter):
        register(cls)


@hookimpl
def sdg_register_comparators(register: Callable[[type[Comparator]], None]) -> None:
    register(ExactComparator)
