"""The shape of a run config: the top-level sections and the core's own settings.

Plugin sections (``task``, ``voter``, ``rewrite``, ``train``, each endpoint under ``models``)
are :class:`~sdgcore.config.values.Selected` values whose fields come from the chosen plugin's
``Config`` class; everything else is defined here. ``docs/config.md`` documents every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs

from sdgcore.config.gates import GatesSection
from sdgcore.config.problems import ConfigProblem
from sdgcore.config.values import (
    ComparatorChoice,
    RetrieverChoice,
    Selected,
    TaskChoice,
    TrainerChoice,
    VoterChoice,
)
from sdgcore.kinds import KINDS
from sdgcore.models.config import ROLES, BackendChoice

_ge0 = attrs.validators.ge(0)
_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]


@attrs.frozen
class RunSection:
    """``run:``: where the run lives and what makes it repeatable.

    :param dir: the run directory (results, checkpoints, the request cache).
    :param seed: the seed for every random choice sdg makes.
    :param concurrency: samples in flight at once (label, solve and rewrite overlap).
    :param schedule: ``stream``: the next sample is taken as soon as one finishes, and
        finished samples are checkpointed as they come (which samples are taken is decided
        from the outcomes of those before them, so a resumed run gives the same datasets).
        ``rounds``: the run goes in rounds, each checkpointed whole (see ``target.batch``
        and ``overlap``), the former behaviour and the one ``budget.rounds`` needs.
    :param overlap: with ``schedule: rounds``, start each round as soon as the one before it
        is generated, so the next round's samples fill the slots its slowest samples leave;
        False: each round waits for the one before it to finish.
    """

    dir: Path = Path("runs/sdg")
    seed: int = 0
    concurrency: int = attrs.field(default=64, validator=attrs.validators.ge(1))
    schedule: Literal["stream", "rounds"] = "stream"
    overlap: bool = True


@attrs.frozen
class ExecutorSection:
    """``executor:``: where the samples are processed. Which executor a run uses does not
    change what it makes (it is not part of the run's fingerprint: a run may be resumed on
    another).

    :param type: ``local``: in this process (asyncio). ``ray``: label, solve and rewrite on
        ``workers`` Ray actors, with one rate budget and one request cache for them all
        (``sdgcore[ray]``; needs ``run.schedule: stream``). See docs/scale-out.md.
    :param address: with ``ray``: the cluster to join (``auto``: the one this machine is part
        of; ``ray://host:10001``: a remote one through Ray Client); None starts a Ray on this
        machine for the run.
    :param workers: with ``ray``: the worker actors samples are spread over.
    :param cpus_per_worker: with ``ray``: CPUs each worker asks the cluster for.
    :param gpus_per_worker: with ``ray``: GPUs each worker asks for; a worker's in-process
        model (``vllm``) is then its own replica, with its own limits.
    """

    type: Literal["local", "ray"] = "local"
    address: str | None = None
    workers: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    cpus_per_worker: float = attrs.field(default=1.0, validator=attrs.validators.ge(0.0))
    gpus_per_worker: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))


@attrs.frozen
class SolveSection:
    """``solve:``: how the student is scored.

    :param n: attempts per sample; ``pass_rate = correct / n``.
    :param comparator: how an attempt is compared with the label (``type:`` ``exact``,
        ``semantic`` or ``llm_judge``, or a plugin's); default: the task's own choice, else
        ``exact``, where installed.
    :param gate: first screen each sample with one greedy attempt: one it gets right is
        taken as too easy without the full ``n`` (the two-gate design).
    :param temperature: the student's sampling temperature for the ``n`` attempts.
    :param adaptive: ask for attempts ``batch`` at a time and stop as soon as the category
        is decided: when the attempts still to come could not move the pass rate across a
        threshold (under the default band: once one attempt is right and one wrong), when
        they would change it with probability at most ``risk`` under ``prior``, or, with
        ``uniform_stop``, after that many attempts that all agree. The pass rate is
        correct / attempts made (``scoring.solve`` records how many, why it stopped, and for
        a stop short of certain, the probability that ``n`` attempts give the same category).
    :param batch: attempts asked for at a time with ``adaptive``.
    :param risk: with ``adaptive``, stop once the probability that the attempts not made
        would change the category is at most this (a sequential test under ``prior``); None:
        no such stops. Under the uniform prior and the default band it never stops before
        the category is certain (for ``n`` under 99).
    :param prior: with ``adaptive``, the distribution of pass rates ``risk`` is computed
        under: pass rate -> weight (any scale), e.g. fitted from an earlier run with ``sdg
        prior RUN_DIR``. It is an input, never fitted from the run's own samples, so a
        sample's attempts do not depend on the order samples finish in or on a resume. None:
        every pass rate equally likely. Weight at 0 and 1 (questions never or always solved)
        is what lets a run stop after attempts that all agree.
    :param uniform_stop: with ``adaptive``, take a sample as too easy (or too hard) once
        this many attempts were all right (or all wrong), before ``n``: fewer requests, at the
        risk of missing a rare success or failure (``bench/adaptive.py`` measures it); None:
        no such stops. ``risk`` with a fitted ``prior`` is the same bet, sized by the run's
        distribution.
    """

    n: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    comparator: ComparatorChoice | None = None
    gate: bool = False
    temperature: float = 0.7
    adaptive: bool = False
    batch: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    risk: float | None = attrs.field(default=0.01, validator=attrs.validators.optional(
        [attrs.validators.ge(0.0), attrs.validators.lt(1.0)]))
    prior: dict[float, float] | None = attrs.field(default=None)
    uniform_stop: int | None = attrs.field(default=None, validator=attrs.validators.optional(
        attrs.validators.ge(1)))

    @prior.validator
    def _check_prior(self, _: attrs.Attribute, prior: dict[float, float] | None) -> None:
        if prior is None:
            return
        if any(not 0.0 <= p <= 1.0 for p in prior) or any(w < 0 for w in prior.values()):
            raise ValueError(f"prior: pass rates must be in [0, 1], weights >= 0: {prior}")
        if sum(prior.values()) <= 0:
            raise ValueError(f"prior: no weight above 0: {prior}")


@attrs.frozen
class RewriteCommon:
    """``rewrite:`` keys that do not depend on the rewriter.

    :param max_rounds: rewrite rounds per sample; 0 turns rewriting off.
    """

    max_rounds: int = attrs.field(default=2, validator=_ge0)


class RewriteChoice(Selected):
    """``rewrite:``: the rewriter that moves samples into the learnable band."""

    kind = "rewriter"
    Common = RewriteCommon


@attrs.frozen
class CategorizeSection:
    """``categorize:``: ``too_hard`` at pass rate <= ``low``, ``too_easy`` at >= ``high``.

    :param low: the pass rate at or below which a sample is too hard.
    :param high: the pass rate at or above which a sample is too easy.
    """

    low: float = attrs.field(default=0.0, validator=_unit)
    high: float = attrs.field(default=1.0, validator=_unit)

    def __attrs_post_init__(self) -> None:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")


@attrs.frozen
class TargetSection:
    """``target:``: how many learnable samples the run aims for.

    :param learnable: generation tops up until this many samples are learnable.
    :param batch: the most samples taken ahead of those whose outcome is known: with
        ``run.schedule: stream``, beyond the first sample still unfinished; with ``rounds``,
        in one round (each round generates twice the learnable samples still missing, up
        to this).
    """

    learnable: int = attrs.field(default=100, validator=attrs.validators.ge(1))
    batch: int = attrs.field(default=256, validator=attrs.validators.ge(1))


@attrs.frozen
class BudgetSection:
    """``budget:``: the run stops topping up when any of these is spent (None: no limit).

    :param requests: model requests, over every endpoint (cache hits are free).
    :param tokens: prompt + completion tokens, over every endpoint.
    :param samples: samples taken from the task (rewrites are not counted).
    :param rounds: generate-label-solve-rewrite rounds (``run.schedule: rounds`` only).
    :param cost: dollars, over every endpoint and every invocation of the run (the endpoints'
        ``price``, their backend's figure or litellm's price table; local models are free).
        A hard stop: checked before each request, so none is sent once it is spent; the
        samples in flight are dropped as transient, and a resumed run with a larger budget
        finishes them.
    """

    samples: int | None = attrs.field(default=None, validator=attrs.validators.optional(
        attrs.validators.ge(1)))
    requests: int | None = None
    tokens: int | None = None
    rounds: int | None = None
    cost: float | None = attrs.field(default=None, validator=attrs.validators.optional(
        attrs.validators.gt(0.0)))


@attrs.frozen
class ExportSection:
    """``export:``: the formats written for each category.

    :param formats: any of ``jsonl``, ``parquet`` and ``hf`` (a ``datasets`` directory).
    """

    formats: tuple[Literal["jsonl", "parquet", "hf"], ...] = ("jsonl",)


@attrs.frozen
class RunConfig:
    """A whole run. Only ``task`` is required; every other section has defaults.

    :param task: the task that makes samples (``type:`` picks it).
    :param models: model endpoints by role; roles left out use the embedded default.
    :param voter: the voter that labels samples (default ``exact``, where installed).
    :param label: how a sample that arrives with a known answer (``gold``: a dataset's
        answer column, a cloze blank) is labelled. ``vote``: by the voter, like any other.
        ``gold``: the gold answer is the label, with no teacher request (``agreement`` 1.0).
        ``verify``: the voter labels it, ``solve.comparator`` compares the votes with the
        gold answer, and a sample whose winning vote disagrees is dropped, both answers in
        the reason; one that agrees keeps the gold answer as its label. ``scoring["gold"]``
        records the outcome (and, for ``verify``, the share of votes that agreed). A sample
        without a gold answer (a rewrite, a generated question) is voted on in every mode.
    :param solve: how the student is scored.
    :param rewrite: the rewriter (default ``difficulty``, where installed) and its rounds.
    :param gates: quality gates (duplicates, contamination, the judge's score); all off by
        default.
    :param categorize: the pass-rate thresholds of the three categories.
    :param target: how many learnable samples to aim for.
    :param budget: when to stop topping up.
    :param export: the output formats.
    :param train: an optional trainer hand-off (``type: verl``).
    :param run: the run directory and seed.
    :param executor: where samples are processed (``local`` or ``ray``).
    """

    task: TaskChoice
    models: dict[str, BackendChoice] = attrs.field(factory=dict)
    voter: VoterChoice | None = None
    label: Literal["vote", "gold", "verify"] = "vote"
    solve: SolveSection = SolveSection()
    rewrite: RewriteChoice | None = None
    gates: GatesSection = GatesSection()
    categorize: CategorizeSection = CategorizeSection()
    target: TargetSection = TargetSection()
    budget: BudgetSection = BudgetSection()
    export: ExportSection = ExportSection()
    train: TrainerChoice | None = None
    run: RunSection = RunSection()
    executor: ExecutorSection = ExecutorSection()

    def __attrs_post_init__(self) -> None:
        if self.budget.rounds is not None and self.run.schedule != "rounds":
            raise ConfigProblem("counts rounds, and run.schedule 'stream' has none: set "
                                "budget.samples, or run.schedule: rounds", at="budget.rounds")
        if self.executor.type == "ray" and self.run.schedule != "stream":
            raise ConfigProblem("ray shards the stream: set run.schedule: stream",
                                at="executor.type")

    def selections(self) -> list[tuple[str, Selected]]:
        """Every plugin choice in the config with its key path, where present, in
        :data:`sdgcore.kinds.KINDS` order: task, voter, solve.comparator, rewrite, train, then
        each model endpoint. Choices inside a plugin's own config (``task.retriever``) are
        the plugin's business and not listed."""
        found: list[tuple[str, Selected]] = []
        for kind in KINDS.values():
            found += _choices_at(self, kind.section.split("."), "")
        return found

    def endpoint(self, role: str) -> BackendChoice:
        """The endpoint serving ``role`` (``teacher``, ``student``, ``judge`` or a task's own)."""
        try:
            return self.models[role]
        except KeyError:
            raise KeyError(f"no model endpoint for role {role!r}") from None


def _choices_at(node: object, parts: list[str], path: str) -> list[tuple[str, Selected]]:
    """The choices at the key path ``parts`` below ``node`` (``<role>``: every key)."""
    if not parts:
        return [(path, node)] if isinstance(node, Selected) else []
    if node is None or isinstance(node, Selected):  # left out, or inside a plugin's config
        return []
    head, rest = parts[0], parts[1:]
    if head == "<role>" and isinstance(node, dict):
        return [found for key, value in node.items()
                for found in _choices_at(value, rest, f"{path}.{key}")]
    if not attrs.has(type(node)) or not hasattr(node, head):
        return []
    return _choices_at(getattr(node, head), rest, f"{path}.{head}" if path else head)


_CHOICES = (TaskChoice, RetrieverChoice, VoterChoice, ComparatorChoice, RewriteChoice,
            TrainerChoice, BackendChoice)
CHOICES: dict[str, type[Selected]] = {
    c.kind: c for c in sorted(_CHOICES, key=lambda c: list(KINDS).index(c.kind))}
"""The config section class of each component kind, in the order of
:data:`sdgcore.kinds.KINDS` (``tests/test_kinds.py`` checks each against
:attr:`~sdgcore.kinds.Kind.choice`)."""


def shared_keys(kind: str) -> tuple[str, ...]:
    """The keys every ``kind`` section has whatever its choice (``type``, and for a rewriter
    ``max_rounds``; ``backend``, ``model``, ``sampling`` and ``limits`` for a backend)."""
    return CHOICES[kind].shared_keys()


DEFAULTS = {k.section: {k.key: k.default} for k in KINDS.values()
            if k.default is not None and "." not in k.section}
"""Top-level plugin sections a config may leave out, and what they default to where that
choice is installed (``voter``, ``rewrite``; from :data:`sdgcore.kinds.KINDS`). Nested
sections with a default are filled by the loader: ``solve.comparator`` (the task's own
choice first) and each ``models.<role>``."""

__all__ = ["CHOICES", "DEFAULTS", "ROLES", "RunConfig", "shared_keys"]
