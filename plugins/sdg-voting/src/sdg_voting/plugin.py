"""Registers the ``exact``, ``semantic`` and ``llm_judge`` voters and comparators."""

from __future__ import annotations

from collections.abc import Callable

from sdg_voting.exact import ExactComparator, ExactCompareConfig, ExactConfig, ExactVoter
from sdg_voting.judge import JudgeComparator, JudgeCompareConfig, JudgeConfig, JudgeVoter
from sdg_voting.semantic import (
    SemanticComparator,
    SemanticCompareConfig,
    SemanticConfig,
    SemanticVoter,
)
from sdgcore import Comparator, Voter, hookimpl

__all__ = ["ExactComparator", "ExactCompareConfig", "ExactConfig", "ExactVoter",
           "JudgeCompareConfig", "JudgeComparator", "JudgeConfig", "JudgeVoter",
           "SemanticCompareConfig", "SemanticComparator", "SemanticConfig", "SemanticVoter",
           "sdg_register_comparators", "sdg_register_voters"]


@hookimpl
def sdg_register_voters(register: Callable[[type[Voter]], None]) -> None:
    for cls in (ExactVoter, SemanticVoter, JudgeVoter):
        register(cls)


@hookimpl
def sdg_register_comparators(register: Callable[[type[Comparator]], None]) -> None:
    for cls in (ExactComparator, SemanticComparator, JudgeComparator):
        register(cls)
