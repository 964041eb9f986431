"""The ``llm_judge`` voter and comparator: a judge model decides which answers agree.

Both ask the ``judge`` role for structured output (the model layer re-asks a reply that does
not parse). A reply that still cannot be used, or a failed request, falls back to the exact
rules of :mod:`sdg_voting.equivalence`, and the fallback is recorded: on the sample as
``scoring["voter_fallback"]``, on each attempt in its ``reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from sdg_voting.answers import free_answer
from sdg_voting.ballot import collect_votes
from sdg_voting.equivalence import compare
from sdg_voting.exact import ExactComparator, ExactCompareConfig
from sdg_voting.prompts import GRADE_SCHEMA, PICK_SCHEMA, grade_messages, pick_messages
from sdg_voting.settings import AnswerRules, BallotConfig
from sdg_voting.weights import group_votes, winner
from sdgcore import (
    Attempt,
    ChatRequest,
    Comparator,
    Completion,
    RunContext,
    Sample,
    Voter,
    derive_seed,
    endpoint_for,
)


@attrs.frozen
class JudgeConfig(BallotConfig):
    """``voter:`` for ``type: llm_judge``: the judge picks the consensus among candidates.

    :param min_agreement: drop a sample whose chosen answer has a smaller share of ``k``.
    :param min_valid: drop a sample with fewer non-blank answers.
    :param judge: the model role that judges.
    """

    judge: str = "judge"


def _reply(done: Completion) -> tuple[dict[str, Any] | None, str]:
    """The judge's parsed reply, or None and why there is none."""
    if not done.choices:
        return None, f"the judge failed: {done.error or 'no reply'}"
    data = done.choices[0].data
    if not isinstance(data, dict):
        return None, f"the judge's reply is not an object: {data!r:.80}"
    return data, ""


def _pick(done: Completion, n: int) -> tuple[int | None, set[int], str]:
    """The candidate the judge picked and those it says agree with it (from 0), and its
    reason; or None, nothing, and why not."""
    data, why = _reply(done)
    if data is None:
        return None, set(), why
    def candidate(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= n

    index, agree = data.get("index"), data.get("agree") or []
    if not candidate(index):
        return None, set(), f"the judge picked {index!r}, not a candidate from 1 to {n}"
    wrong = [a for a in agree if not candidate(a)]
    if wrong:
        return None, set(), f"the judge said {wrong[0]!r} agrees, not a candidate from 1 to {n}"
    return index - 1, {a - 1 for a in agree}, str(data.get("reason", "")).strip()


class JudgeVoter(Voter):
    """An LLM judge picks the consensus answer."""

    name = "llm_judge"
    Config = JudgeConfig
    config: JudgeConfig

    async def label(self, ctx: RunContext, sample: Sample) -> Sample:
        """Ask ``config.model`` for ``k`` answers in one request, then ask ``config.judge``
        which of them is the consensus.

        Each vote keeps the answer :func:`~sdg_voting.answers.free_answer` finds in it; the
        judge sees the non-blank ones, numbered, each as its answer (else its whole response),
        and names the consensus and the candidates that agree with it. The chosen vote is the
        label (``answer``: its answer or whole response, ``reference``: its response); the
        judge's reason is ``scoring["judge_reason"]``. ``agreement`` is the share of ``k`` that
        is the chosen vote, equal to it (:func:`~sdg_voting.equivalence.compare`) or said
        by the judge to agree with it. If the judge fails, or names a number that is no
        candidate, the exact majority wins instead (:mod:`sdg_voting.weights`; agreement: the
        votes equal to it) and ``scoring["voter_fallback"]`` says why. The tokens of both
        requests are added to the sample.
        """
        cfg = self.config
        sample = await collect_votes(ctx, sample, model=cfg.model, k=cfg.k,
                                     temperature=cfg.temperature, free_text=True)
        if sample.dropped:
            return sample
        votes = sample.votes
        texts = [(vote.answer or vote.response).strip() for vote in votes]
        valid = [i for i, text in enumerate(texts) if text]
        dropped = cfg.too_few(sample, len(valid))
        if dropped:
            return dropped

        done = await endpoint_for(ctx, cfg.judge, "voter.judge").chat(ChatRequest(
            messages=pick_messages(sample.prompt(), [texts[i] for i in valid]),
            temperature=0.0, seed=derive_seed(ctx.seed, sample.id, "judge"),
            json_schema=PICK_SCHEMA))
        sample = attrs.evolve(sample, tokens=sample.tokens + done.tokens)
        picked, agree, why = _pick(done, len(valid))
        rules = cfg.equivalence
        if picked is None:
            scoring = {**sample.scoring, "voter_fallback": f"exact: {why}"}
            candidates = [attrs.evolve(votes[i], answer=texts[i]) for i in valid]
            groups = group_votes(candidates, lambda a, b: compare(a, b, rules)[0])
            chosen = valid[winner(groups).first]
        else:
            scoring = {**sample.scoring, "judge_reason": why}
            chosen = valid[picked]
        agreeing = {valid[a] for a in agree} | {
            i for i in valid if compare(texts[i], texts[chosen], rules)[0]}
        agreement = cfg.agreement(len(agreeing | {chosen}), len(votes))
        return cfg.settle(sample, agreement, answer=texts[chosen],
                          reference=votes[chosen].response, scoring=scoring)


@attrs.frozen
class JudgeCompareConfig(AnswerRules):
    """``solve.comparator:`` for ``type: llm_judge``: the judge grades each attempt (the
    answer rules serve its fallback to exact comparison).

    :param judge: the model role that judges.
    """

    judge: str = "judge"


def _verdicts(done: Completion, n: int) -> tuple[list[tuple[bool, str]] | None, str]:
    """The judge's ``n`` verdicts, or None and why there are none."""
    data, why = _reply(done)
    if data is None:
        return None, why
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, list) or len(verdicts) != n:
        count = len(verdicts) if isinstance(verdicts, list) else 0
        return None, f"the judge gave {count} verdicts for {n} answers"
    return [(bool(v["correct"]), str(v["reason"]).strip()) for v in verdicts], ""


class JudgeComparator(Comparator):
    """An LLM judge grades each attempt against the label, with a reason."""

    name = "llm_judge"
    Config = JudgeCompareConfig
    config: JudgeCompareConfig

    async def compare(self, ctx: RunContext, sample: Sample,
                      responses: Sequence[str]) -> list[Attempt]:
        """Grade the responses in one request to ``config.judge``: each distinct answer
        (:func:`~sdg_voting.answers.free_answer`, else the whole response) once, against
        the label (``sample.answer``, else ``sample.reference``). An attempt's ``reason`` is
        the judge's; if the judge fails or gives the wrong number of verdicts, each attempt
        is scored by the ``exact`` comparator instead, its reason starting
        ``"exact fallback"``."""
        cfg = self.config
        found = [free_answer(response, sample.answer_format.tag) for response in responses]
        texts = [(answer or response).strip()
                 for response, (answer, _) in zip(responses, found, strict=True)]
        label = (sample.answer or sample.reference or "").strip()
        distinct = list(dict.fromkeys(text for text in texts if text))
        if not label or not distinct:
            why = "empty response" if label else "the sample has no label"
            return [Attempt(r, a, correct=False, reason=why, extractor=h)
                    for r, (a, h) in zip(responses, found, strict=True)]
        done = await endpoint_for(ctx, cfg.judge, "solve.comparator.judge").chat(ChatRequest(
            messages=grade_messages(sample.prompt(), label, distinct),
            temperature=0.0, seed=derive_seed(ctx.seed, sample.id, "judge-compare"),
            json_schema=GRADE_SCHEMA))
        verdicts, why = _verdicts(done, len(distinct))
        exact = ExactComparator(ExactCompareConfig(tolerance=cfg.tolerance,
                                                   abs_tolerance=cfg.abs_tolerance,
                                                   symbolic=cfg.symbolic))
        attempts = []
        for response, (answer, how), text in zip(responses, found, texts, strict=True):
            if not text:
                attempts.append(Attempt(response, None, correct=False, reason="empty response"))
            elif verdicts is not None:
                correct, reason = verdicts[distinct.index(text)]
                attempts.append(Attempt(response, answer, correct=correct, reason=reason,
                                        extractor=how))
            else:
                checked = exact.check(sample, response)
                detail = f": {checked.reason}" if checked.reason else ""
                attempts.append(attrs.evolve(checked, reason=f"exact fallback ({why}){detail}"))
        return attempts
