"""``gates:``: the quality gates a sample passes before it is labelled (contamination, the
judge's score) and before it is kept (near-duplicates), each off unless configured."""

from __future__ import annotations

import attrs

_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]


@attrs.frozen
class DedupGate:
    """``gates.dedup``: exact and near-duplicate removal over the whole run, rewrites
    included (MinHash over word shingles, with datasketch).

    :param threshold: two samples on the same context (or both on none) whose questions'
        shingle sets have a Jaccard similarity of at least this are near-duplicates; the
        later one is dropped (1.0: only the same question up to case and spacing).
    :param shingle: tokens per shingle.
    :param num_perm: MinHash permutations of the index that finds candidates (more: fewer
        missed pairs, more memory).
    """

    threshold: float = attrs.field(default=0.8, validator=_unit)
    shingle: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    num_perm: int = attrs.field(default=128, validator=attrs.validators.ge(16))


@attrs.frozen
class DecontaminateGate:
    """``gates.decontaminate``: drop samples that overlap evaluation sets, so benchmark
    questions do not leak into training data.

    :param sets: evaluation sets: local files (``.jsonl``, ``.json``, ``.csv``,
        ``.parquet``, ``.txt`` one item a line), saved ``datasets`` directories, or Hugging
        Face dataset ids (``owner/name``, ``owner/name:config``), read with ``datasets``.
    :param fields: the columns holding the text to compare (default: every string column).
    :param split: the split of a Hugging Face dataset (default: every split).
    :param ngram: a sample whose question shares a word ``ngram``-gram with an evaluation
        item, or holds the whole of an item shorter than that, is contaminated.
    """

    sets: list[str] = attrs.field(factory=list)
    fields: list[str] = attrs.field(factory=list)
    split: str | None = None
    ngram: int = attrs.field(default=8, validator=attrs.validators.ge(1))


@attrs.frozen
class JudgeGate:
    """``gates.judge``: the judge scores each sample (question and reference) on a rubric
    from 1 to 10; a sample below ``min_score`` is dropped.

    :param min_score: the lowest score kept.
    :param rubric: replaces the built-in rubric.
    :param model: the model role that judges.
    """

    min_score: int = attrs.field(default=6, validator=[attrs.validators.ge(1),
                                                       attrs.validators.le(10)])
    rubric: str | None = None
    model: str = "judge"


@attrs.frozen
class GatesSection:
    """``gates:``: quality gates, each off unless given. A dropped sample's reason names the
    gate (``gate dedup: ...``), in ``dropped.jsonl`` and on the sample.

    :param dedup: exact and near-duplicate removal across the run.
    :param decontaminate: removal of samples that overlap evaluation sets.
    :param judge: a minimum quality score from the judge.
    """

    dedup: DedupGate | None = None
    decontaminate: DecontaminateGate | None = None
    judge: JudgeGate | None = None
