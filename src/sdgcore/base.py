"""Abstract base classes for each kind of plugin component.

Every implementation class carries a stable :attr:`Component.name` (what ``type:`` selects in a
config) and an attrs :attr:`Component.Config` class (what the rest of that config section is
structured into). The core instantiates a component as ``cls(config)``.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from sdgcore import kinds
from sdgcore.errors import NotBuiltError

if TYPE_CHECKING:
    from sdgcore.context import RunContext
    from sdgcore.models.config import EndpointCommon
    from sdgcore.models.types import BackendReply, ChatRequest
    from sdgcore.records import Attempt, Direction, Sample

Status = Literal["ready", "planned"]


@attrs.frozen
class NoConfig:
    """The config of a component that takes no options."""


class Component:
    """What every component shares.

    :cvar name: the stable name a config selects it by; lower case, ``[a-z][a-z0-9_]*``.
    :cvar kind: set by each kind's base class (``"task"``, ``"voter"``, ...).
    :cvar Config: the attrs class its config section is structured into.
    :cvar status: ``"ready"``, or ``"planned"`` for a component that is registered so that
        configs naming it validate, but is not built yet: selecting it for a run fails clearly.
    :cvar summary: one line for ``sdg plugins``; defaults to the docstring's first line.
    """

    name: ClassVar[str]
    kind: ClassVar[str]
    Config: ClassVar[type] = NoConfig
    status: ClassVar[Status] = "ready"
    summary: ClassVar[str] = ""

    def __init__(self, config: Any) -> None:
        self.config = config

    @classmethod
    def describe(cls) -> str:
        """The one-line summary shown by ``sdg plugins``."""
        if cls.summary:
            return cls.summary
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    @classmethod
    def ensure_built(cls, path: str, origin: str) -> None:
        """Raise :class:`NotBuiltError` if this component is only planned.

        :param path: the config key that selected it, for the message.
        :param origin: the distribution that registered it.
        """
        if cls.status == "planned":
            raise NotBuiltError(
                f"{path}: {cls.kind} {cls.name!r} from {origin} is not built yet",
                hint=f"`sdg plugins` shows what is built; choose another {cls.kind} for now",
            )


class Task(Component, abc.ABC):
    """Makes candidate samples: prepare once, then generate as many as the pipeline takes.

    :cvar comparator: the comparator its samples are scored with when the config names none
        (e.g. ``"semantic"`` for free-text answers); None: ``exact``.
    """

    kind = "task"
    comparator: ClassVar[str | None] = None

    async def prepare(self, ctx: RunContext) -> None:  # noqa: B027 - optional hook
        """Gather material once per run (parse documents, probe datasets, read seeds).

        Called before :meth:`generate`. Must be safe to call again on resume: reuse what is
        already in ``ctx.run_dir``.
        """

    @abc.abstractmethod
    def generate(self, ctx: RunContext) -> AsyncIterator[Sample]:
        """Yield candidate samples, one at a time, for as long as the pipeline iterates.

        The pipeline stops iterating (and closes the iterator) once it has enough; a task that
        runs out of material simply returns.
        """


@attrs.frozen
class Passage:
    """A unit of retrievable text: ``id`` is stable, ``meta`` keeps its lineage."""

    id: str
    text: str
    meta: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Hit:
    """A passage found by a retriever, with its score (higher is better)."""

    passage: Passage
    score: float


class Retriever(Component, abc.ABC):
    """Finds passages for a query."""

    kind = "retriever"

    @abc.abstractmethod
    def build(self, ctx: RunContext, passages: Sequence[Passage]) -> None:
        """Index ``passages`` (or load the index already in ``ctx.run_dir``)."""

    @abc.abstractmethod
    def search(self, query: str, k: int) -> list[Hit]:
        """Return at most ``k`` hits for ``query``, best first."""


class Voter(Component, abc.ABC):
    """Labels a sample: the teacher answers it several times and the majority wins."""

    kind = "voter"

    @abc.abstractmethod
    async def label(self, ctx: RunContext, sample: Sample) -> Sample:
        """Return ``sample`` with ``votes``, ``answer``, ``reference`` and ``agreement`` set,
        or with ``dropped`` set to the reason it could not be labelled. Never raises for a
        sample that merely could not be labelled."""


class Comparator(Component, abc.ABC):
    """Scores the student's attempts at a labelled sample (``solve.comparator``)."""

    kind = "comparator"

    @abc.abstractmethod
    async def compare(self, ctx: RunContext, sample: Sample,
                      responses: Sequence[str]) -> list[Attempt]:
        """Score each student response against the label (``sample.answer`` and
        ``sample.reference``).

        :param responses: the student's responses, in the order they came back.
        :return: one :class:`~sdgcore.records.Attempt` per response, in the same order, each
            with the answer extracted from it, whether it is correct and, where there is one,
            the reason. A response that cannot be judged is an incorrect attempt with the
            reason, never an exception.
        """


class Rewriter(Component, abc.ABC):
    """Rewrites a sample that is too easy or too hard for the student."""

    kind = "rewriter"

    @abc.abstractmethod
    async def rewrite(self, ctx: RunContext, sample: Sample, direction: Direction) -> Sample | None:
        """Return a new version of ``sample`` made with :meth:`Sample.rewrite` (which sets
        ``parent_id``, ``direction`` and ``round``, keeps what the task stated and starts the
        scoring clean), or None when the rewriter has nothing to offer.

        A rewrite that was tried and is not usable (its request failed, the new question was
        rejected by a check) is returned dropped with the reason (:meth:`Sample.drop`,
        ``transient`` when a retry later may succeed): the pipeline records it, writes the
        reason on the parent (``scoring["rewrite"]``) and stops rewriting that sample.
        """


class Trainer(Component, abc.ABC):
    """Hands a finished run's datasets to a training framework (``train:``; run by
    ``sdg run --train`` after the run, or by a command of the trainer's plugin)."""

    kind = "trainer"

    def check(self) -> None:
        """Raise :class:`~sdgcore.errors.ConfigError` for a config that cannot train (a
        setting training needs but a config may leave out); called before a run that will
        train starts, so a wrong config fails before any work."""

    @abc.abstractmethod
    def export(self, ctx: RunContext, datasets: Mapping[str, Path]) -> Path:
        """Write the trainer's own format of ``datasets`` (category -> the run's JSONL
        file of it) in the run directory, check it, and return the path a training run
        reads (a file or a directory)."""

    def train(self, ctx: RunContext, data: Path) -> None:
        """Run training on ``data`` (what :meth:`export` returned) and return when it ends.

        :raises SdgError: training failed or could not start (the reason in the message).
        """
        raise NotImplementedError(f"trainer {self.name!r} exports only")


class Backend(Component, abc.ABC):
    """Reaches a model. One instance serves one configured endpoint.

    The model layer above it (:class:`sdgcore.models.Endpoint`) owns concurrency, rate
    limits, retries, timeouts, the request cache, structured-output parsing and accounting;
    a backend makes one call and reports what happened.

    :cvar native_schema: the backend constrains output to a JSON schema itself (else the
        layer parses leniently and re-asks).
    :cvar max_concurrency: the most calls it can usefully serve at once (None: no limit of
        its own). The layer never sends more, so a request waits for its turn outside its
        timeout instead of inside the backend.
    :cvar costs_nothing: the model runs on this machine (``llamacpp``, ``vllm``): its requests
        cost no dollars, whatever ``budget.cost`` says.
    """

    kind = "backend"
    native_schema: ClassVar[bool] = False
    max_concurrency: ClassVar[int | None] = None
    costs_nothing: ClassVar[bool] = False

    def __init__(self, config: Any, endpoint: EndpointCommon) -> None:
        super().__init__(config)
        self.endpoint = endpoint

    @property
    def model(self) -> str:
        """The model name this endpoint serves."""
        return self.endpoint.model or ""

    def identity(self) -> dict[str, Any]:
        """What makes this endpoint's outputs differ from another's, for the request cache
        key (never a secret). Defaults to the backend and model names."""
        return {"backend": self.name, "model": self.model}

    @abc.abstractmethod
    async def complete(self, request: ChatRequest) -> BackendReply:
        """Make one call for ``request`` (sampling already resolved against the endpoint's
        defaults) and return ``request.n`` choices.

        :raises sdgcore.models.types.BackendError: the call failed; its ``kind`` says whether
            the layer may retry it.
        """

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections, models and memory; called when the run ends."""


KINDS: dict[str, type[Component]] = {name: globals()[k.base] for name, k in kinds.KINDS.items()}
"""Each kind's name mapped to its base class, in registration-hook order (derived from
:data:`sdgcore.kinds.KINDS`)."""
