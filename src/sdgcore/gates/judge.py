"""The judge's quality score of a sample, from 1 to 10 on a rubric."""

from __future__ import annotations

from typing import Any

import attrs

from sdgcore.config.gates import JudgeGate
from sdgcore.context import RunContext
from sdgcore.models.types import ChatRequest
from sdgcore.records import Sample
from sdgcore.seeds import derive_seed

RUBRIC = (
    "You grade training samples for fine-tuning a language model. Score the sample from 1 "
    "to 10: 9-10 a clear, self-contained question with exactly one correct answer and a "
    "correct, well-explained reference; 6-8 good, with minor flaws in wording or "
    "explanation; 3-5 ambiguous, under-specified, trivial or with a doubtful reference; 1-2 "
    "wrong, unanswerable or not a question."
)
"""The built-in rubric (``gates.judge.rubric`` replaces it)."""

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 10},
                   "reason": {"type": "string"}},
    "required": ["score"],
}
CONTEXT_CHARS = 3000


def messages(sample: Sample, rubric: str) -> list[dict[str, str]]:
    """The judge's request for ``sample``."""
    parts = [f"Context:\n{sample.context[:CONTEXT_CHARS]}" if sample.context else "",
             f"Question:\n{sample.question}",
             f"Reference response:\n{sample.reference}" if sample.reference else "",
             'Reply with a JSON object: "score" (an integer from 1 to 10) and "reason" (one '
             "sentence)."]
    return [{"role": "system", "content": rubric},
            {"role": "user", "content": "\n\n".join(p for p in parts if p)}]


async def score(ctx: RunContext, sample: Sample, config: JudgeGate) -> Sample:
    """``sample`` with the judge's score in ``scoring["gates"]["judge"]``, dropped when the
    score is below ``config.min_score`` or the request failed (with the reason)."""
    done = await ctx.models[config.model].chat(ChatRequest(
        messages=messages(sample, config.rubric or RUBRIC), temperature=0.0,
        seed=derive_seed(ctx.seed, sample.id, "gate-judge"), json_schema=SCHEMA))
    sample = attrs.evolve(sample, tokens=sample.tokens + done.tokens)
    data = done.choices[0].data if done.ok and done.choices else None
    value = data.get("score") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return sample.drop(f"gate judge: no score ({done.error or 'no score in the reply'})",
                           transient=done.transient)
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    verdict = {"score": value, "reason": reason, "min_score": config.min_score}
    gates = {**sample.scoring.get("gates", {}), "judge": verdict}
    sample = attrs.evolve(sample, scoring={**sample.scoring, "gates": gates})
    if value < config.min_score:
        return sample.drop(f"gate judge: score {value:g} < {config.min_score}: "
                           f"{reason or 'no reason given'}")
    return sample
