"""The ``difficulty`` and ``evol`` rewriters: ask the teacher to make a sample harder or
easier, then check the new question (:mod:`sdg_rewriters.teacher`).

A sample the student solves too often is rewritten ``"harder"``, one it fails too often
``"easier"``. ``difficulty`` applies one targeted strategy per rewrite (harder: add a
constraint, more steps, deeper reasoning, or combine with an earlier sample; easier: a
sub-problem, a hint, simpler numbers),
chosen from the run seed and the sample, so successive rounds of one sample try different
ones. ``evol`` evolves the question Evol-Instruct style (:mod:`sdg_rewriters.evol`). Each
request is seeded from the run seed, the sample, the direction and the strategy, so a rerun
hits the request cache. The child is made by :meth:`Sample.rewrite <sdgcore.Sample.rewrite>`:
it carries its lineage, context and answer format and nothing of its parent's scoring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import attrs

from sdg_rewriters import evol
from sdg_rewriters.prompts import EASIER_STRATEGIES, HARDER_STRATEGIES, difficulty_system
from sdg_rewriters.teacher import ask_teacher
from sdgcore import Rewriter, Sample, derive_seed, hookimpl

if TYPE_CHECKING:
    from sdgcore import Direction, RunContext

Harder = Literal["constraint", "steps", "depth", "combine"]
Easier = Literal["decompose", "hint", "simplify"]
PARTNERS = 50
"""``combine`` draws its partner from the last this many samples generated before."""


def _not_empty(instance: object, attribute: attrs.Attribute, value: list[str]) -> None:
    if not value:
        raise ValueError(f"{attribute.name}: give at least one strategy")


def pick(strategies: list[str], seed: int, sample: Sample) -> str:
    """One of ``strategies`` for ``sample``, the same on every rerun."""
    return strategies[derive_seed(seed, sample.id, "strategy") % len(strategies)]


@attrs.frozen
class CheckedConfig:
    """The checks every rewrite passes (shared by ``difficulty`` and ``evol``).

    :param min_change: how different the new question must be from its parent: a question
        whose shingle similarity to the parent's is above ``1 - min_change`` is rejected.
    :param check_answerable: ask the ``judge`` whether each new question is self-contained
        with one well-defined answer, and reject it if not (one more request per rewrite;
        relabelling by the voter checks answers in any case).
    :param judge: the model role asked by ``check_answerable``.
    :param temperature: the teacher's temperature while rewriting.
    :param model: the model role that rewrites.
    """

    min_change: float = attrs.field(default=0.05, validator=[attrs.validators.ge(0.0),
                                                            attrs.validators.le(1.0)])
    check_answerable: bool = False
    judge: str = "judge"
    temperature: float = 0.7
    model: str = "teacher"


@attrs.frozen
class DifficultyConfig(CheckedConfig):
    """``rewrite:`` for ``type: difficulty``.

    :param harder: the strategies for making a sample harder, one picked per rewrite.
    :param easier: the strategies for making a sample easier, one picked per rewrite.
    :param harder_prompt: replaces the built-in instruction (and strategies) for harder.
    :param easier_prompt: replaces the built-in instruction (and strategies) for easier.
    """

    harder: list[Harder] = attrs.field(factory=lambda: list(HARDER_STRATEGIES),
                                       validator=_not_empty)
    easier: list[Easier] = attrs.field(factory=lambda: list(EASIER_STRATEGIES),
                                       validator=_not_empty)
    harder_prompt: str | None = None
    easier_prompt: str | None = None


class _Checked(Rewriter):
    """A rewriter whose subclass chooses the instruction; the request and checks are shared."""

    config: CheckedConfig

    def instruction(self, ctx: RunContext, sample: Sample,
                    direction: Direction) -> tuple[str, str, dict[str, Any]]:
        """``(system message, strategy name, facts for the child's meta)`` for this
        rewrite."""
        raise NotImplementedError

    async def rewrite(self, ctx: RunContext, sample: Sample, direction: Direction) -> Sample:
        """Ask ``config.model`` for a ``direction`` version of ``sample``.

        :returns: the child (:meth:`Sample.rewrite <sdgcore.Sample.rewrite>`, with
            ``meta["rewrite_strategy"]``, the teacher's ``meta["rewrite_change"]`` and the
            request's tokens), dropped with the reason when it is not usable
            (:func:`sdg_rewriters.teacher.ask_teacher`).
        """
        system, strategy, meta = self.instruction(ctx, sample, direction)
        cfg = self.config
        return await ask_teacher(ctx, sample, direction, system=system, strategy=strategy,
                                 model=cfg.model, temperature=cfg.temperature,
                                 min_change=cfg.min_change,
                                 check_answerable=cfg.check_answerable, judge=cfg.judge,
                                 meta=meta)


class DifficultyRewriter(_Checked):
    """Makes too-easy samples harder and too-hard ones easier, one strategy at a time."""

    name = "difficulty"
    Config = DifficultyConfig
    config: DifficultyConfig

    def instruction(self, ctx: RunContext, sample: Sample,
                    direction: Direction) -> tuple[str, str, dict[str, Any]]:
        custom = (self.config.harder_prompt if direction == "harder"
                  else self.config.easier_prompt)
        if custom:
            return custom, "custom", {}
        choices = list(self.config.harder if direction == "harder" else self.config.easier)
        strategy = pick(choices, ctx.seed, sample)
        if strategy == "combine":
            partner = self.partner(ctx, sample)
            if partner is not None:
                return (difficulty_system(direction, strategy, partner.question), strategy,
                        {"rewrite_partner": partner.id})
            others = [c for c in choices if c != "combine"] or ["steps"]
            strategy = pick(others, ctx.seed, sample)  # the first sample has no partner
        return difficulty_system(direction, strategy), strategy, {}

    def partner(self, ctx: RunContext, sample: Sample) -> Sample | None:
        """An earlier generated sample to combine ``sample`` with (one of the last
        :data:`PARTNERS` the task made before it, chosen from the run seed), or None."""
        own = _normal(sample.question)
        earlier = [s for s in ctx.pool.earlier(sample)[-PARTNERS:]
                   if _normal(s.question) != own]
        if not earlier:
            return None
        return earlier[derive_seed(ctx.seed, sample.id, "combine") % len(earlier)]


@attrs.frozen
class EvolConfig(CheckedConfig):
    """``rewrite:`` for ``type: evol``.

    :param depth: the in-depth evolutions a harder rewrite picks from (Evol-Instruct's
        add constraints, deepen, concretize, increase reasoning steps).
    :param breadth: an easier rewrite is an in-breadth evolution: a new question in the same
        domain and format, more basic than the original; off: the original decomposed into a
        sub-problem.
    :param max_added_words: the most words an in-depth evolution may add.
    """

    depth: list[evol.Depth] = attrs.field(factory=lambda: list(evol.DEPTH),
                                          validator=_not_empty)
    breadth: bool = True
    max_added_words: int = attrs.field(default=20, validator=attrs.validators.ge(1))


class EvolRewriter(_Checked):
    """Evol-Instruct: in-depth evolution makes a question harder, in-breadth evolution
    makes a more basic sibling in the same domain."""

    name = "evol"
    Config = EvolConfig
    config: EvolConfig

    def instruction(self, ctx: RunContext, sample: Sample,
                    direction: Direction) -> tuple[str, str, dict[str, Any]]:
        if direction == "harder":
            method = pick(list(self.config.depth), ctx.seed, sample)
            return (evol.in_depth(method, self.config.max_added_words), f"in-depth:{method}",
                    {})
        if self.config.breadth:
            return evol.in_breadth(), "in-breadth", {}
        return difficulty_system("easier", "decompose"), "decompose", {}


@hookimpl
def sdg_register_rewriters(register: Callable[[type[Rewriter]], None]) -> None:
    register(DifficultyRewriter)
    register(EvolRewriter)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()
