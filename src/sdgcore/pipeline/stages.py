"""What happens to one generated sample: label, solve, categorize, and the rewrite loop.

Each sample flows on its own (many at once, see :mod:`sdgcore.pipeline.run`), so a sample is
being solved while others are still labelled or generated. A sample that cannot go on is
dropped with the reason, and the run goes on.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import attrs

from sdgcore.base import Comparator, Rewriter, Voter
from sdgcore.context import RunContext
from sdgcore.gates import Gates
from sdgcore.models.types import ChatRequest
from sdgcore.records import Sample, Tokens
from sdgcore.seeds import derive_seed

STUDENT = "student"
SYSTEM = ("Solve the problem. Think briefly, then give the final answer in the format the "
          "problem asks for.")
"""The student's system message; the answer format is the last line of the sample's prompt
(:meth:`~sdgcore.Sample.prompt`)."""


def categorize(sample: Sample, low: float, high: float) -> Sample:
    """Set ``category`` from ``pass_rate``: too_hard <= low < learnable < high <= too_easy."""
    if sample.dropped or sample.pass_rate is None:
        return sample
    if sample.pass_rate <= low:
        category = "too_hard"
    elif sample.pass_rate >= high:
        category = "too_easy"
    else:
        category = "learnable"
    return attrs.evolve(sample, category=category)


class Flow:
    """The per-sample stages of one run.

    :param ctx: the run.
    :param voter: labels samples.
    :param comparator: scores the student's attempts.
    :param rewriter: rewrites samples out of the band, or None (no rewriting).
    :param on_stage: called with a stage name each time a sample finishes it (progress).
    :param gates: screens each sample, rewrites too, before it is labelled (``gates:``).
    """

    def __init__(self, ctx: RunContext, voter: Voter, comparator: Comparator,
                 rewriter: Rewriter | None,
                 on_stage: Callable[[str], None] = lambda stage: None,
                 gates: Gates | None = None) -> None:
        self.ctx = ctx
        self.gates = gates
        self.voter = voter
        self.comparator = comparator
        self.rewriter = rewriter
        self.on_stage = on_stage
        self.busy: dict[str, float] = defaultdict(float)
        config = ctx.config
        self.solve_cfg = config.solve
        self.low, self.high = config.categorize.low, config.categorize.high
        self.max_rounds = config.rewrite.common.max_rounds if config.rewrite else 0

    async def process(self, sample: Sample) -> list[Sample]:
        """Every version of ``sample`` this run makes: itself, then its rewrites, each
        labelled, solved and categorized (or dropped with the reason)."""
        current = await self._score(sample)
        versions = [current]
        for _ in range(self.max_rounds if self.rewriter else 0):
            if current.dropped or current.category == "learnable":
                break
            direction = "harder" if current.category == "too_easy" else "easier"
            started = time.perf_counter()
            child = await self.rewriter.rewrite(self.ctx, current, direction)  # type: ignore[union-attr]
            self.busy["rewrite"] += time.perf_counter() - started
            self.on_stage("rewrite")
            if child is None:
                break
            self.ctx.pool.link(child, current)
            if child.dropped:  # tried and not usable: the parent keeps the reason
                versions[-1] = current = attrs.evolve(
                    current, scoring={**current.scoring, "rewrite": child.dropped})
                versions.append(child)
                break
            current = await self._score(child)
            versions.append(current)
        return versions

    async def _score(self, sample: Sample) -> Sample:
        if self.gates is not None:
            started = time.perf_counter()
            sample = await self.gates.screen(self.ctx, sample)
            self.busy["gates"] += time.perf_counter() - started
            if sample.dropped:
                return sample
        started = time.perf_counter()
        sample = await self.voter.label(self.ctx, sample)
        self.busy["label"] += time.perf_counter() - started
        self.on_stage("label")
        if sample.dropped:
            return sample
        started = time.perf_counter()
        sample = await self.solve(sample)
        self.busy["solve"] += time.perf_counter() - started
        self.on_stage("solve")
        return categorize(sample, self.low, self.high)

    async def solve(self, sample: Sample) -> Sample:
        """The student's attempts and pass rate; with ``solve.gate``, one greedy attempt
        first, and a sample it gets right is taken as too easy without the full ``n``
        (``scoring["gate"] = "passed"``). Fewer attempts than asked for are recorded in
        ``scoring["solve_error"]``; none at all drop the sample (transiently, when the
        request failed for a reason that may pass)."""
        student = self.ctx.models[STUDENT]
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": sample.prompt()}]
        tokens = Tokens()
        if self.solve_cfg.gate:
            gate = await student.chat(ChatRequest(
                messages=messages, n=1, temperature=0.0,
                seed=derive_seed(self.ctx.seed, sample.id, "gate")))
            tokens += gate.tokens
            if gate.choices:
                [attempt] = await self.comparator.compare(self.ctx, sample,
                                                          [gate.choices[0].text])
                if attempt.correct:
                    return attrs.evolve(sample, attempts=(attempt,), pass_rate=1.0,
                                        tokens=sample.tokens + tokens,
                                        scoring={**sample.scoring, "gate": "passed"})
        done = await student.chat(ChatRequest(
            messages=messages, n=self.solve_cfg.n, temperature=self.solve_cfg.temperature,
            seed=derive_seed(self.ctx.seed, sample.id, "solve")))
        tokens += done.tokens
        attempts = await self.comparator.compare(self.ctx, sample,
                                                 [c.text for c in done.choices])
        if not attempts:
            failed = attrs.evolve(sample, tokens=sample.tokens + tokens)
            return failed.drop(f"solve: student failed: {done.error}",
                               transient=done.transient)
        pass_rate = sum(a.correct for a in attempts) / len(attempts)
        scoring = sample.scoring if done.ok else {**sample.scoring, "solve_error": done.error}
        return attrs.evolve(sample, attempts=tuple(attempts), pass_rate=pass_rate,
                            tokens=sample.tokens + tokens, scoring=scoring)
