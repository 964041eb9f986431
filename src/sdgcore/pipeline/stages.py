"""What happens to one generated sample: label, solve, categorize, and the rewrite loop.

Each sample flows on its own (many at once, see :mod:`sdgcore.pipeline.run`), so a sample is
being solved while others are still labelled or generated. A sample that cannot go on is
dropped with the reason, and the run goes on.

Labelling follows the run's ``label:`` setting for a sample that arrives with a known answer
(:attr:`~sdgcore.Sample.gold`): voted on (``vote``), labelled with its gold answer
(``gold``), or voted on and checked against it (``verify``) by the run's comparator, the same
equivalence the student's answers are scored with (:meth:`Flow.label`).
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable

import attrs

from sdgcore.attempts import Solved, solve, student_messages
from sdgcore.base import Comparator, Rewriter, Voter
from sdgcore.context import RunContext
from sdgcore.gates import Gates
from sdgcore.pipeline.adaptive import decided, same_category
from sdgcore.pipeline.prior import Prior
from sdgcore.records import Sample, Tokens
from sdgcore.seeds import derive_seed

STUDENT = "student"
GOLD = "gold"
"""The :attr:`~sdgcore.Sample.scoring` key where labelling records how a gold answer was used
(``label: gold`` or ``verify``)."""


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
        self.label_mode = config.label

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
        sample = await self.label(sample)
        self.busy["label"] += time.perf_counter() - started
        self.on_stage("label")
        if sample.dropped:
            return sample
        started = time.perf_counter()
        sample = await self.solve(sample)
        self.busy["solve"] += time.perf_counter() - started
        self.on_stage("solve")
        return categorize(sample, self.low, self.high)

    async def label(self, sample: Sample) -> Sample:
        """``sample`` labelled as the run's ``label:`` setting says, or dropped with the
        reason.

        Without a gold answer, or with ``label: vote``: the voter's label. ``gold``: the gold
        answer is the label (``reference`` the task's, else the gold answer; ``agreement``
        1.0), with no request. ``verify``: the voter's label, then :meth:`verify`.
        """
        if self.label_mode == "vote" or not (sample.gold or "").strip():
            return await self.voter.label(self.ctx, sample)
        if self.label_mode == "gold":
            return attrs.evolve(sample, answer=sample.gold,
                                reference=sample.reference or sample.gold, agreement=1.0,
                                scoring={**sample.scoring, GOLD: {"mode": "gold"}})
        return await self.verify(await self.voter.label(self.ctx, sample))

    async def verify(self, voted: Sample) -> Sample:
        """Check a voted sample against its gold answer.

        Every vote is scored against the gold answer by the run's comparator (as if the
        gold answer were the label and the votes the student's attempts).
        ``scoring["gold"]`` records ``mode`` (``"verify"``), ``votes_agreeing`` (the share of
        votes equal to the gold answer), and, for a labelled sample, ``agrees`` (whether the
        winning vote does), ``vote`` (the voter's answer) and ``reason`` (the comparator's).
        A winning vote that disagrees drops the sample, both answers and the comparator's
        rule in the reason; one that agrees leaves the gold answer as the label and the
        winning response as the reference. A sample the voter dropped stays dropped
        (unchecked when no vote came back, or when its drop is transient).
        """
        gold = voted.gold
        if not voted.votes or voted.dropped_transient:
            return voted
        as_label = attrs.evolve(voted, answer=gold, reference=gold)
        checks = await self.comparator.compare(self.ctx, as_label,
                                               [vote.response for vote in voted.votes])
        record: dict = {"mode": "verify",
                        "votes_agreeing": sum(c.correct for c in checks) / len(voted.votes)}
        if voted.dropped:
            return attrs.evolve(voted, scoring={**voted.scoring, GOLD: record})
        winner = next((check for vote, check in zip(voted.votes, checks, strict=False)
                       if vote.response == voted.reference), None)
        agrees = winner is not None and winner.correct
        record.update(agrees=agrees, vote=voted.answer,
                      reason=winner.reason if winner is not None else "no winning vote")
        checked = attrs.evolve(voted, scoring={**voted.scoring, GOLD: record})
        if not agrees:
            return checked.drop(f"label: the vote {voted.answer!r} disagrees with the gold "
                                f"answer {gold!r} ({self.comparator.name}: {record['reason']})")
        return attrs.evolve(checked, answer=gold)

    async def solve(self, sample: Sample) -> Sample:
        """The student's attempts and pass rate; with ``solve.gate``, one greedy attempt
        first, and a sample it gets right is taken as too easy without the full ``n``
        (``scoring["gate"] = "passed"``). Fewer attempts than asked for are recorded in
        ``scoring["solve_error"]``; none at all drop the sample (transiently, when the
        request failed for a reason that may pass)."""
        student = self.ctx.models[STUDENT]
        messages = student_messages(sample)
        tokens = Tokens()
        if self.solve_cfg.gate:
            gate = await solve(self.ctx, student, self.comparator, sample, messages, n=1,
                               temperature=0.0,
                               seed=derive_seed(self.ctx.seed, sample.id, "gate"))
            tokens += gate.tokens
            if gate.attempts and gate.attempts[0].correct:
                return attrs.evolve(sample, attempts=gate.attempts[:1], pass_rate=1.0,
                                    tokens=sample.tokens + tokens,
                                    scoring={**sample.scoring, "gate": "passed"})
        if self.solve_cfg.adaptive:
            return await self._solve_adaptively(sample, messages, tokens)
        done = await solve(self.ctx, student, self.comparator, sample, messages,
                           n=self.solve_cfg.n, temperature=self.solve_cfg.temperature,
                           seed=derive_seed(self.ctx.seed, sample.id, "solve"))
        return self._solved(sample, done.attempts, tokens + done.tokens, done)

    async def _solve_adaptively(self, sample: Sample, messages: list[dict[str, str]],
                                tokens: Tokens) -> Sample:
        """``solve.batch`` attempts at a time (each batch its own seeded request) until the
        category is decided (:func:`sdgcore.pipeline.adaptive.decided`) or ``n`` are made.

        ``scoring["solve"]`` records ``attempts``, ``of`` (``n``) and ``stopped`` (why), and
        for a stop short of certain (``sequential``, ``uniform``) ``confidence``: the
        probability under ``solve.prior`` that ``n`` attempts give the same category."""
        cfg, student = self.solve_cfg, self.ctx.models[STUDENT]
        prior = Prior.of(cfg.prior)
        attempts: tuple = ()
        stop, done = None, None
        for batch in itertools.count():
            want = min(cfg.batch, cfg.n - len(attempts))
            done = await solve(self.ctx, student, self.comparator, sample, messages, n=want,
                               temperature=cfg.temperature,
                               seed=derive_seed(self.ctx.seed, sample.id, "solve", batch))
            tokens += done.tokens
            attempts += done.attempts
            if done.error is not None:
                break
            correct = sum(a.correct for a in attempts)
            stop = decided(correct, len(attempts), cfg.n, self.low, self.high, cfg.uniform_stop,
                           risk=cfg.risk, prior=prior)
            if stop:
                break
        solved = self._solved(sample, attempts, tokens, done)
        if solved.dropped:
            return solved
        record: dict = {"attempts": len(attempts), "of": cfg.n, "stopped": stop or "error"}
        if stop in ("sequential", "uniform"):
            record["confidence"] = round(same_category(
                sum(a.correct for a in attempts), len(attempts), cfg.n, self.low, self.high,
                prior), 4)
        return attrs.evolve(solved, scoring={**solved.scoring, "solve": record})

    @staticmethod
    def _solved(sample: Sample, attempts: tuple, tokens: Tokens, done: Solved | None) -> Sample:
        """``sample`` with its attempts and pass rate, or dropped when there are none."""
        error = done.error if done is not None else None
        if not attempts:
            failed = attrs.evolve(sample, tokens=sample.tokens + tokens)
            return failed.drop(f"solve: student failed: {error}",
                               transient=bool(done and done.transient))
        scoring = sample.scoring if error is None else {**sample.scoring, "solve_error": error}
        pass_rate = sum(a.correct for a in attempts) / len(attempts)
        return attrs.evolve(sample, attempts=tuple(attempts), pass_rate=pass_rate,
                            tokens=sample.tokens + tokens, scoring=scoring)
