"""The GRPO reward: verl's custom reward function, scoring as the run's ``exact`` comparator.

verl loads this file by path (``reward.custom_reward_function.path`` and ``.name``) in its
own processes, so it imports only :mod:`sdg_voting`'s answer extraction and equivalence
(no sdgcore state): the final answer is read from the response with
:func:`sdg_voting.answers.extract` (``<tag>...</tag>``, then ``\\boxed{}``, ``####``, "the
answer is", the last number) and compared with the label by
:func:`sdg_voting.equivalence.compare`, as :class:`sdg_voting.exact.ExactComparator` checks
a student's attempt.

``extra_info`` (written by the export) gives ``answer_tag`` (default ``"answer"``),
``equivalence`` (the run's comparator tolerances) and ``format_reward`` (the reward for a wrong
answer that was given in the tag; default 0).
"""

from __future__ import annotations

from typing import Any

from sdg_voting.answers import extract
from sdg_voting.equivalence import Equivalence, compare


def _rules(extra_info: dict[str, Any]) -> Equivalence:
    given = extra_info.get("equivalence") or {}
    return Equivalence(**{k: v for k, v in given.items()
                          if k in ("tolerance", "abs_tolerance", "symbolic") and v is not None})


def score(solution_str: str, ground_truth: str | None, extra_info: dict[str, Any] | None,
          format_reward: float) -> float:
    """1.0 when the response's final answer is equivalent to ``ground_truth``;
    ``format_reward`` when it is not but was given in the answer tag; else 0.0."""
    info = extra_info or {}
    tag = info.get("answer_tag") or "answer"
    answer, how = extract(solution_str or "", tag)
    if answer is None:
        return 0.0
    if ground_truth is not None and compare(answer, str(ground_truth), _rules(info))[0]:
        return 1.0
    return float(format_reward) if how == "tag" else 0.0


def compute_score(data_source: str, solution_str: str, ground_truth: str,
                  extra_info: dict[str, Any] | None = None, **kwargs: Any) -> float:
    """verl's reward signature: 1.0 for an equivalent answer, else the row's
    ``extra_info["format_reward"]`` for a wrong answer given in the tag (0.0 when unset),
    else 0.0."""
    reward = (extra_info or {}).get("format_reward") or 0.0
    return score(solution_str, ground_truth, extra_info, reward)


def compute_score_with_format(data_source: str, solution_str: str, ground_truth: str,
                              extra_info: dict[str, Any] | None = None,
                              format_reward: float = 0.1, **kwargs: Any) -> float:
    """:func:`compute_score` with a partial credit of ``format_reward`` (default 0.1) for a
    wrong answer given in the tag, whatever the row says."""
    return score(solution_str, ground_truth, extra_info, format_reward)
