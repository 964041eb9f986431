"""The :class:`Sample` record that travels through every stage, with its lineage.

Records are frozen attrs classes; a stage returns a new record with :func:`attrs.evolve`.
:meth:`Sample.to_dict` / :meth:`Sample.from_dict` (and the ``json`` variants) round-trip every
field without loss. A sample's :attr:`~Sample.id` is derived from the content that makes it
this sample (task, question, source, parent and direction), so regenerating the same sample
gives the same id, a stage adding votes or attempts does not change it, and a record evolved
into another question or source gets that content's id.

A sample keeps apart what its task states about it (``answer_format``, ``gold``,
``evidence``, ``meta``) and
what the stages recorded while scoring this version of it (``votes``, ``attempts``,
``scoring``, ...). :meth:`Sample.rewrite` makes a new version: the task's statements about the
material carry over, the scoring does not.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any, Literal

import attrs
import cattrs

from sdgcore.answer_format import AnswerFormat

Category = Literal["learnable", "too_easy", "too_hard"]
Direction = Literal["harder", "easier"]

_converter = cattrs.Converter(forbid_extra_keys=True)


def _answer_format(value: Any, _type: type) -> AnswerFormat:
    # records written before the format was a record: a plain instruction, or none
    if value is None:
        return AnswerFormat()
    if isinstance(value, str):
        return AnswerFormat(instruction=value)
    return _structure_answer_format(value, _type)


_structure_answer_format = _converter.gen_structure_attrs_fromdict(AnswerFormat)
_converter.register_structure_hook(AnswerFormat, _answer_format)


@attrs.frozen
class Source:
    """Where a sample's material came from.

    :param kind: ``"document"``, ``"dataset"``, ``"teacher"`` or a plugin's own word.
    :param ref: what within that kind: a file path, a dataset name, a model name.
    :param locator: where within ``ref``: chunk ids, a page span, a row index, a split.
    """

    kind: str
    ref: str | None = None
    locator: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Vote:
    """One teacher answer cast while labelling.

    :param response: the full response text.
    :param answer: the final answer extracted from it, or None if none could be.
    :param extractor: how the answer was extracted (``"tag"``, ``"boxed"``, ``"####"``, ...).
    :param weight: the vote's weight (1.0, or a probability from log-probs).
    """

    response: str
    answer: str | None = None
    extractor: str | None = None
    weight: float = 1.0


@attrs.frozen
class Attempt:
    """One student attempt at a sample.

    :param response: the student's full response.
    :param answer: the final answer extracted from it.
    :param correct: whether the comparator judged it equal to the label.
    :param reason: the comparator's reason, where it gives one.
    :param extractor: how the answer was extracted (``"tag"``, ``"boxed"``, ...), if it was.
    """

    response: str
    answer: str | None = None
    correct: bool = False
    reason: str | None = None
    extractor: str | None = None


@attrs.frozen
class Tokens:
    """Tokens spent on a sample, summed over every request made for it."""

    prompt: int = 0
    completion: int = 0

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(self.prompt + other.prompt, self.completion + other.completion)


@attrs.frozen
class Sample:
    """A training sample and everything that happened to it.

    :param task: the name of the task that made it.
    :param question: the prompt a trained model will see.
    :param reference: the reference response (the generator's, then the vote winner's).
    :param answer: the final answer the student is compared against (the label).
    :param gold: an answer the task knows for this question (a cloze blank, the answer the
        task drafted with its source in view), kept beside the voted ``answer``; a rewrite,
        being a new question, starts without one.
    :param evidence: the passage the task cites for ``gold`` (a sentence of the context);
        a rewrite starts without one.
    :param context: retrieved context the sample is grounded in, if any; it is part of the
        sample's :meth:`prompt` (open book).
    :param answer_format: the answer format the task states (:class:`~sdgcore.AnswerFormat`:
        the tag a final answer is wrapped in and the line that asks for it): every model
        answering the sample is told its line (:meth:`prompt`), the voters and comparators
        read the final answer from its tag, and a rewrite keeps it.
    :param source: where the material came from.
    :param votes: the teacher answers cast while labelling.
    :param agreement: the share of votes for the winner: the label's confidence.
    :param attempts: the student's attempts.
    :param pass_rate: correct attempts / attempts.
    :param scoring: what the label and solve stages recorded while scoring this version, by
        key: the voter's details (``weighted_agreement``, ``voter_fallback``, ``judge_reason``,
        ``clusters``, ``cluster_sizes``), ``gate`` (``"passed"``: one greedy attempt was right,
        the other attempts were not made), ``solve_error`` (why fewer attempts came back).
        JSON-safe; a new version starts with none.
    :param parent_id: the id of the sample this one was rewritten from.
    :param direction: ``"harder"`` or ``"easier"``, for a rewrite.
    :param round: the rewrite round (0 for a generated sample).
    :param category: ``"learnable"``, ``"too_easy"`` or ``"too_hard"`` once categorised.
    :param dropped: why the sample was dropped, if it was; a dropped sample keeps its history.
    :param dropped_transient: the drop came from requests that failed for a reason that may
        pass (rate limit, server error, timeout, connection, malformed reply) after every
        retry: a resumed run processes the sample again. Set with :meth:`drop`.
    :param tokens: tokens spent on it.
    :param meta: JSON-safe extra facts the task states about the sample's material (whether
        its evidence was found in the context, a judge's verdict on it, ...); not carried
        into a rewrite unless the rewriter gives them again.
    """

    task: str
    question: str
    reference: str | None = None
    answer: str | None = None
    gold: str | None = None
    evidence: str | None = None
    context: str | None = None
    answer_format: AnswerFormat = AnswerFormat()
    source: Source = attrs.field(factory=lambda: Source(kind="unknown"))
    votes: tuple[Vote, ...] = ()
    agreement: float | None = None
    attempts: tuple[Attempt, ...] = ()
    pass_rate: float | None = None
    scoring: dict[str, Any] = attrs.field(factory=dict)
    parent_id: str | None = None
    direction: Direction | None = None
    round: int = 0
    category: Category | None = None
    dropped: str | None = None
    dropped_transient: bool = False
    tokens: Tokens = Tokens()
    meta: dict[str, Any] = attrs.field(factory=dict)

    @functools.cached_property
    def id(self) -> str:
        """The stable id of this sample's content (see :func:`sample_id`)."""
        return sample_id(self)

    def prompt(self) -> str:
        """What a model answering this sample is asked (the voters, the student, and the
        trained model): the ``context`` it is grounded in, if any, then the question, then the
        line of the answer format (:attr:`answer_format`, :meth:`AnswerFormat.line`)."""
        text = f"{self.question}\n\n{self.answer_format.line()}"
        if self.context:
            return f"Context:\n{self.context}\n\nQuestion: {text}"
        return text

    def drop(self, reason: str, *, transient: bool = False) -> Sample:
        """This sample dropped for ``reason``; ``transient`` when requests failed for a reason
        that may pass (:attr:`dropped_transient`: a resumed run tries it again)."""
        return attrs.evolve(self, dropped=reason, dropped_transient=transient)

    def rewrite(self, question: str, direction: Direction, *, reference: str | None = None,
                meta: dict[str, Any] | None = None, tokens: Tokens = Tokens()) -> Sample:
        """A new version of this sample asking ``question``, made ``direction`` (harder or
        easier): the child a rewriter returns.

        Carried over: ``task``, ``context``, ``source`` and ``answer_format`` (the task's
        statements about the material and how it is answered). Set: ``parent_id`` (this
        sample's id), ``direction``, ``round`` (this one's + 1), and ``reference``, ``meta`` and
        ``tokens`` as given (the rewrite request's tokens). Not carried over: ``gold`` (a new
        question has no known answer) and its ``evidence``, ``scoring``, ``votes``,
        ``agreement``, ``attempts``, ``pass_rate``, ``answer``, ``category``, ``dropped``, and
        ``meta`` unless given: the new version is labelled and solved from scratch.
        """
        return Sample(task=self.task, question=question, reference=reference,
                      context=self.context, answer_format=self.answer_format,
                      source=self.source, parent_id=self.id, direction=direction,
                      round=self.round + 1, tokens=tokens, meta=dict(meta or {}))

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-safe builtins, ``id`` first."""
        return {"id": self.id, **_converter.unstructure(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        """The inverse of :meth:`to_dict`; unknown keys are an error, ``id`` is derived."""
        return _converter.structure({k: v for k, v in data.items() if k != "id"}, cls)

    def to_json(self) -> str:
        """One line of JSON (for JSONL files), keys in field order."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> Sample:
        """The inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(line))


def sample_id(sample: Sample) -> str:
    """A stable 16-hex-digit id from what makes a sample itself.

    Hashes the task, question, source, parent id and rewrite direction; the labels, attempts
    and scores a sample gathers later do not change it.
    """
    identity = {
        "task": sample.task,
        "question": sample.question,
        "source": _converter.unstructure(sample.source),
        "parent_id": sample.parent_id,
        "direction": sample.direction,
    }
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
