"""What the ``difficulty`` and ``evol`` rewriters share: one structured teacher request per
rewrite, and the checks every rewrite passes before the pipeline labels and solves it.

A rewrite that cannot be used is returned *dropped*, with the reason (the pipeline puts the
reason on the parent too and stops rewriting that sample): the request failed (transiently,
when it may pass: a resumed run tries it again), the reply had no question, the question is
(nearly) the parent's, it copies the prompt's scaffolding, or the judge found it unanswerable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from sdg_rewriters.prompts import SCHEMA, build_messages
from sdgcore import ChatRequest, NearDuplicates, Sample, derive_seed, text_tokens

if TYPE_CHECKING:
    from sdgcore import Direction, RunContext

ANSWERABLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answerable": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["answerable"],
}
"""The judge's reply to the answerability check."""

ANSWERABLE = (
    "You check exam questions before they are used. Say whether the question is "
    "self-contained (with its context, if any) and has exactly one well-defined correct "
    "answer. Reply with a JSON object: \"answerable\" (true or false) and \"reason\" (one "
    "sentence)."
)

SCAFFOLDING = ("#rewritten prompt#", "#given prompt#", "#the given prompt#", "#created prompt#",
               "rewritten question:", "original question:")
"""Phrases of the rewrite prompts that a usable question never contains."""


async def ask_teacher(ctx: RunContext, sample: Sample, direction: Direction, *, system: str,
                      strategy: str, model: str, temperature: float, min_change: float,
                      check_answerable: bool, judge: str,
                      meta: dict[str, Any] | None = None) -> Sample:
    """Rewrite ``sample`` with one request to ``model`` and check the result.

    :param strategy: recorded as ``meta["rewrite_strategy"]`` and part of the request seed.
    :param meta: more facts for the child's ``meta`` (``rewrite_partner``).
    :param min_change: a question whose similarity to the parent's (3-token shingles,
        0-1) is above ``1 - min_change`` is rejected as unchanged.
    :return: the child (:meth:`Sample.rewrite`), dropped with the reason if it is not usable.
    """
    done = await ctx.models[model].chat(ChatRequest(
        messages=build_messages(sample, direction, system), temperature=temperature,
        seed=derive_seed(ctx.seed, sample.id, "rewrite", direction, strategy),
        json_schema=SCHEMA))
    meta = {"rewrite_strategy": strategy, **(meta or {})}
    if not done.ok or not done.choices:
        failed = sample.rewrite(sample.question, direction, tokens=done.tokens, meta=meta)
        return failed.drop(f"rewrite: the request failed: {done.error}",
                           transient=done.transient)
    data = done.choices[0].data
    question = data.get("question") if isinstance(data, dict) else None
    question = question.strip() if isinstance(question, str) else ""
    change = data.get("change") if isinstance(data, dict) else None
    if isinstance(change, str) and change.strip():
        meta["rewrite_change"] = change.strip()
    child = sample.rewrite(question or sample.question, direction, tokens=done.tokens, meta=meta)
    problem = _problem(sample.question, question, min_change)
    if problem is None and check_answerable:
        child, problem = await _answerable(ctx, child, judge)
    return child.drop(f"rewrite: {problem}") if problem else child


def _problem(parent: str, question: str, min_change: float) -> str | None:
    if not question:
        return "the teacher gave no question"
    if any(phrase in question.casefold() for phrase in SCAFFOLDING):
        return "the question copies the rewrite prompt's scaffolding"
    if len(text_tokens(question)) < 3:
        return f"the question is too short ({question!r})"
    seen = NearDuplicates(threshold=1.0)
    seen.add(parent)
    same = seen.closest(question)
    if same > 1.0 - min_change:
        return f"the question is (nearly) its parent's (similarity {same:.2f})"
    return None


async def _answerable(ctx: RunContext, child: Sample, judge: str) -> tuple[Sample, str | None]:
    """Ask ``judge`` whether ``child`` is answerable; the verdict goes in its ``scoring``."""
    user = "\n\n".join(part for part in (
        f"Context:\n{child.context}" if child.context else "",
        f"Question:\n{child.question}", child.answer_format.line()) if part)
    done = await ctx.models[judge].chat(ChatRequest(
        messages=[{"role": "system", "content": ANSWERABLE}, {"role": "user", "content": user}],
        temperature=0.0, seed=derive_seed(ctx.seed, child.id, "answerable"),
        json_schema=ANSWERABLE_SCHEMA))
    data = done.choices[0].data if done.ok and done.choices else None
    if not isinstance(data, dict) or not isinstance(data.get("answerable"), bool):
        reason = done.error or "no verdict in the reply"
        failed = child.drop(f"rewrite: the answerability check failed: {reason}",
                            transient=done.transient)
        return failed, None
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    child = attrs.evolve(child, scoring={**child.scoring, "answerable": {
        "verdict": data["answerable"], "reason": reason}})
    if data["answerable"]:
        return child, None
    return child, f"the judge found it unanswerable: {reason or 'no reason given'}"
