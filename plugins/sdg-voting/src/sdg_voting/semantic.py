"""The ``semantic`` voter and comparator: answers are the same when their sentence embeddings
are close, for free-text answers that say one thing in many ways.

What is embedded, and how similarity is computed, is in :mod:`sdg_voting.embeddings`. The
embedding model runs in a worker thread so that other samples' requests go on meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import attrs

from sdg_voting.answers import free_answer
from sdg_voting.ballot import collect_votes
from sdg_voting.embeddings import Embed, cluster, medoid, similarities, text_for
from sdg_voting.settings import UNIT, AnswerRules, BallotConfig
from sdgcore import DEFAULT_EMBEDDING_MODEL as DEFAULT_MODEL
from sdgcore import Attempt, Comparator, RunContext, Sample, Vote, Voter


@attrs.frozen
class SemanticConfig(BallotConfig):
    """``voter:`` for ``type: semantic`` (needs ``sdg-voting[semantic]``).

    :param min_agreement: drop a sample whose largest cluster holds a smaller share of ``k``.
    :param min_valid: drop a sample with fewer non-blank answers.
    :param threshold: the cosine similarity at which two answers are the same; depends on the
        embedding model (for all-MiniLM-L6-v2, "Paris" and "The capital is Paris" are 0.76,
        "Paris" and "Lyon" 0.50).
    :param embed: what is embedded per vote: ``answer`` (its extracted final answer, else the
        whole response) or ``response`` (always the whole response).
    :param embedding_model: a sentence-transformers model name or local path, loaded offline.
    """

    threshold: float = attrs.field(default=0.75, validator=UNIT)
    embed: Embed = "answer"
    embedding_model: str = DEFAULT_MODEL


class SemanticVoter(Voter):
    """Majority vote over clusters of answer embeddings."""

    name = "semantic"
    Config = SemanticConfig
    config: SemanticConfig

    async def label(self, ctx: RunContext, sample: Sample) -> Sample:
        """Ask ``config.model`` for ``k`` answers in one request, cluster them and take the
        largest cluster.

        Each vote keeps the answer :func:`~sdg_voting.answers.free_answer` finds in it.
        Votes are clustered in the order they came back (:func:`~sdg_voting.embeddings.cluster`);
        the largest cluster wins, the earliest started on a tie, and its medoid vote is the
        label: its answer (else its whole response) is ``answer``, its response ``reference``.
        ``agreement`` is the winner's size over ``k`` (blank answers and choices that never
        came back count against it). ``scoring["clusters"]`` lists each cluster's vote indices,
        ``scoring["cluster_sizes"]`` their sizes. A sample that cannot be labelled is returned
        with ``dropped`` set, keeping its votes and tokens.
        """
        cfg = self.config
        sample = await collect_votes(ctx, sample, model=cfg.model, k=cfg.k,
                                     temperature=cfg.temperature, free_text=True)
        if sample.dropped:
            return sample
        votes = sample.votes
        texts = [text_for(vote.response, vote.answer, cfg.embed) for vote in votes]
        valid = [i for i, text in enumerate(texts) if text]
        dropped = cfg.too_few(sample, len(valid))
        if dropped:
            return dropped

        sim = await asyncio.to_thread(similarities, texts, cfg.embedding_model,
                                      rules=cfg.equivalence)
        clusters = cluster(sim, valid, cfg.threshold)
        winners = max(clusters, key=len)  # the first of equal clusters: started earliest
        agreement = cfg.agreement(len(winners), len(votes))
        scoring = {**sample.scoring, "clusters": clusters,
                   "cluster_sizes": [len(group) for group in clusters]}
        best: Vote = votes[medoid(sim, winners)]
        return cfg.settle(sample, agreement, answer=best.answer or best.response.strip(),
                          reference=best.response, scoring=scoring)


@attrs.frozen
class SemanticCompareConfig(AnswerRules):
    """``solve.comparator:`` for ``type: semantic`` (needs ``sdg-voting[semantic]``).

    :param threshold: the cosine similarity to the label at which an attempt is correct.
    :param embed: what is embedded per attempt: ``answer`` (its extracted final answer, else
        the whole response) or ``response`` (always the whole response).
    :param embedding_model: a sentence-transformers model name or local path, loaded offline.
    """

    threshold: float = attrs.field(default=0.75, validator=UNIT)
    embed: Embed = "answer"
    embedding_model: str = DEFAULT_MODEL


class SemanticComparator(Comparator):
    """An attempt is correct when its answer embeds close to the label."""

    name = "semantic"
    Config = SemanticCompareConfig
    config: SemanticCompareConfig

    async def compare(self, ctx: RunContext, sample: Sample,
                      responses: Sequence[str]) -> list[Attempt]:
        """Score each response by its similarity to the label (``sample.answer``, else
        ``sample.reference``), all embedded in one batch; the reason gives the similarity."""
        cfg = self.config
        if not responses:
            return []
        found = [free_answer(response, sample.answer_format.tag) for response in responses]
        label = (sample.answer or sample.reference or "").strip()
        if not label:
            return [Attempt(r, a, correct=False, reason="the sample has no label", extractor=h)
                    for r, (a, h) in zip(responses, found, strict=True)]
        texts = [text_for(r, a, cfg.embed) for r, (a, _) in zip(responses, found, strict=True)]
        sim = await asyncio.to_thread(similarities, [label, *texts], cfg.embedding_model,
                                      rules=cfg.equivalence)
        attempts = []
        for i, (response, (answer, how)) in enumerate(zip(responses, found, strict=True)):
            if not texts[i]:
                attempts.append(Attempt(response, None, correct=False, reason="empty response"))
                continue
            score = float(sim[0, i + 1])
            verdict = ">=" if score >= cfg.threshold else "<"
            attempts.append(Attempt(
                response, answer, correct=score >= cfg.threshold, extractor=how,
                reason=f"similarity {score:.3f} {verdict} {cfg.threshold:g}"))
        return attempts
