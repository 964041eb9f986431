"""The ``local`` task: grounded samples from a folder of the user's documents.

``prepare`` loads and chunks the documents (:mod:`sdg_local.corpus`), builds the retriever over
the chunks and asks the teacher once for domain keywords (:mod:`sdg_local.keywords`).
``generate`` plans one context per attempt (:mod:`sdg_local.schedule`), asks the teacher for a
question, a short answer and a grounded reference from it, and yields the new questions in
attempt order, each with the chunks it was grounded in as its lineage.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from sdg_local import keywords as kw
from sdg_local.cloze import make_cloze
from sdg_local.corpus import Corpus, load_corpus
from sdg_local.drafts import DUPLICATE, Draft, found_in, read_draft
from sdg_local.prompts import (
    ANSWER_FORMAT,
    ANSWERABLE_SCHEMA,
    SAMPLE_SCHEMA,
    answerable_messages,
    sample_messages,
)
from sdg_local.schedule import Plan, Planner, topics
from sdgcore import (
    AnswerFormat,
    ChatRequest,
    NearDuplicates,
    Retriever,
    RetrieverChoice,
    Sample,
    Source,
    Task,
    Tokens,
    derive_seed,
    draft_samples,
    endpoint_for,
    write_atomic,
)

if TYPE_CHECKING:
    from sdgcore import Endpoint, RunContext

MAX_REJECTS = 30
"""Consecutive attempts that made nothing new after which generation ends."""
PREFETCH = 8
"""Requests kept in flight ahead of the one consumed (capped by the endpoint's concurrency)."""
CONTEXT_SEPARATOR = "\n\n"
"""What joins the chunks of a sample's ``context``."""
GENERATION_FILE = "generation.json"


@attrs.frozen
class LocalConfig:
    """``task:`` for ``type: local``.

    :param paths: files or folders of documents (PDF, txt, md, html); relative paths are
        taken from the current directory.
    :param domain: domain terms merged with the keywords the teacher extracts.
    :param chunk_size: the target chunk size, in ``chunk_unit``.
    :param chunk_overlap: overlap between neighbouring chunks, in ``chunk_unit``.
    :param chunk_unit: ``tokens`` or ``chars``.
    :param retriever: the retriever (default ``bm25``).
    :param top_k: chunks retrieved per query.
    :param keywords: how many keywords the teacher extracts (0: none, the domain terms only).
    :param context_chunks: the most chunks in one sample's context (the focus chunk first).
    :param samples_per_chunk: the most samples about one chunk; generation ends when every
        chunk has had its share.
    :param temperature: the teacher's sampling temperature while generating.
    :param questions: ``generated`` (the teacher writes each question, answer and reference
        from the context) or ``cloze`` (fill-in-the-blank questions made from the focus
        chunk's sentences, a key term blanked, with no generator request: works with any
        teacher, the embedded one included).
    :param check_answerable: have the judge check each sample is answerable from its context.
    :param model: the model role that generates.
    :param judge_model: the model role that checks answerability.
    """

    paths: list[Path]
    domain: list[str] = attrs.field(factory=list)
    chunk_size: int = attrs.field(default=512, validator=attrs.validators.ge(16))
    chunk_overlap: int = attrs.field(default=64, validator=attrs.validators.ge(0))
    chunk_unit: Literal["tokens", "chars"] = "tokens"
    retriever: RetrieverChoice | None = None
    top_k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    keywords: int = attrs.field(default=30, validator=attrs.validators.ge(0))
    context_chunks: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    samples_per_chunk: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    temperature: float = attrs.field(default=0.7, validator=attrs.validators.ge(0.0))
    questions: Literal["generated", "cloze"] = "generated"
    check_answerable: bool = False
    model: str = "teacher"
    judge_model: str = "judge"

    def __attrs_post_init__(self) -> None:
        if not self.paths:
            raise ValueError("paths: give at least one file or folder of documents")
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"chunk_overlap ({self.chunk_overlap}) must be less than "
                             f"chunk_size ({self.chunk_size})")


class LocalTask(Task):
    """Documents -> chunks -> keywords -> retrieval -> grounded generation.

    :ivar corpus: the documents and chunks :meth:`prepare` loaded.
    :ivar keywords: the run's keywords.
    :ivar counts: attempts of the last :meth:`generate` by outcome (``made``, ``failed``,
        ``empty``, ``short``, ``not_a_question``, ``long_answer``, ``leaky``, ``duplicate``,
        ``no_blank``, ``unanswerable``, ``unchecked``).
    """

    name = "local"
    Config = LocalConfig
    config: LocalConfig

    def __init__(self, config: LocalConfig) -> None:
        super().__init__(config)
        self.corpus: Corpus | None = None
        self.retriever: Retriever | None = None
        self.keywords: kw.Keywords | None = None
        self.counts: Counter[str] = Counter()

    def _make_retriever(self) -> Retriever:
        if self.config.retriever is not None:
            return self.config.retriever.create()
        from sdg_local.retrievers import BM25Config, BM25Retriever

        return BM25Retriever(BM25Config())

    async def prepare(self, ctx: RunContext) -> None:
        """Load and chunk the documents, build (or reopen) the retriever's index and get the
        keywords; everything is reused from the run directory on a resume.

        :raises SdgError: no usable document, or no endpoint for the model role.
        """
        if self.keywords is not None:
            return
        config = self.config
        teacher = endpoint_for(ctx, config.model, "task.model")
        workdir = ctx.workdir("task", self.name)
        corpus = await asyncio.to_thread(load_corpus, config.paths, workdir,
                                         size=config.chunk_size, overlap=config.chunk_overlap,
                                         unit=config.chunk_unit)
        retriever = self._make_retriever()
        await asyncio.to_thread(retriever.build, ctx, [c.passage() for c in corpus.chunks])
        self.corpus, self.retriever = corpus, retriever
        self.keywords = await kw.extract(teacher, corpus.chunks, config.domain, config.keywords,
                                         ctx.seed, workdir)

    def planner(self) -> Planner:
        """A new planner over the prepared corpus, from the first plan."""
        if self.corpus is None or self.retriever is None or self.keywords is None:
            raise RuntimeError("LocalTask.planner() before prepare()")
        config = self.config
        return Planner(self.corpus.chunks, self.retriever,
                       topics(self.corpus.chunks, self.keywords.terms), top_k=config.top_k,
                       context_chunks=config.context_chunks,
                       per_chunk=config.samples_per_chunk)

    def request(self, ctx: RunContext, plan: Plan) -> ChatRequest:
        """The teacher's request for ``plan``: a pure function of the plan, the config and
        the run's seed, so a replay asks exactly the same."""
        return ChatRequest(messages=sample_messages(plan.chunks, plan.query),
                           temperature=self.config.temperature,
                           seed=derive_seed(ctx.seed, "local", plan.index),
                           json_schema=SAMPLE_SCHEMA)

    async def generate(self, ctx: RunContext) -> AsyncIterator[Sample]:
        """Yield new grounded samples for plans 0, 1, 2, ... in order; return when the plans
        run out or after :data:`MAX_REJECTS` attempts in a row made nothing new."""
        if self.keywords is None:
            await self.prepare(ctx)
        teacher = endpoint_for(ctx, self.config.model, "task.model")
        judge = (endpoint_for(ctx, self.config.judge_model, "task.judge_model")
                 if self.config.check_answerable else None)
        planner = self.planner()
        self.counts = Counter()

        async def plans() -> AsyncIterator[Plan]:  # planning (retrieval) off the event loop
            while (plan := await asyncio.to_thread(planner.next)) is not None:
                yield plan

        try:
            async with aclosing(draft_samples(
                    plans(), lambda plan: self._attempt(ctx, plan, teacher, judge),
                    window=min(PREFETCH, teacher.concurrency), max_rejects=MAX_REJECTS,
                    seen=NearDuplicates(DUPLICATE), counts=self.counts)) as samples:
                async for sample in samples:
                    yield sample
        finally:
            self._record(ctx, planner)

    async def _attempt(self, ctx: RunContext, plan: Plan, teacher: Endpoint,
                       judge: Endpoint | None) -> Sample | str:
        """``plan``'s sample, one the judge rejects (dropped: ``unanswerable``, or
        ``unchecked`` without a verdict), or why there is none."""
        if self.config.questions == "cloze":
            assert self.keywords is not None
            draft = make_cloze(plan.focus.text, self.keywords.terms, plan.index)
            outcome, spent = ("made" if draft else "no_blank"), Tokens()
        else:
            done = await teacher.chat(self.request(ctx, plan))
            (draft, outcome), spent = read_draft(done), done.tokens
        if draft is None:
            return outcome
        if judge is None:
            return self._sample(plan, draft, spent)
        check = await judge.chat(ChatRequest(
            messages=answerable_messages(draft.question, draft.answer, context_of(plan)),
            temperature=0.0, seed=derive_seed(ctx.seed, "local", "answerable", plan.index),
            json_schema=ANSWERABLE_SCHEMA))
        tokens = spent + check.tokens
        data = check.choices[0].data if check.ok and check.choices else None
        verdict = data.get("answerable") if isinstance(data, dict) else None
        if not isinstance(verdict, bool):
            return self._sample(plan, draft, tokens).drop("unchecked")
        reason = data.get("reason") if isinstance(data.get("reason"), str) else None
        sample = self._sample(plan, draft, tokens,
                              {"answerable": verdict, "answerable_reason": reason})
        return sample if verdict else sample.drop("unanswerable")

    def _sample(self, plan: Plan, draft: Draft, tokens: Tokens, judged: dict | None = None
                ) -> Sample:
        context = context_of(plan)
        meta = {"evidence_found": found_in(draft.evidence, context), **(judged or {})}
        return Sample(task=self.name, question=draft.question, reference=draft.reference or None,
                      gold=draft.answer, evidence=draft.evidence, context=context,
                      answer_format=AnswerFormat(instruction=ANSWER_FORMAT),
                      source=Source("document", plan.focus.path, lineage(plan)),
                      meta=meta, tokens=tokens)

    def _record(self, ctx: RunContext, planner: Planner) -> None:
        """Write what the last generation did to ``generation.json``."""
        assert self.corpus is not None
        used = {cid for cid, n in planner.uses.items() if n}
        docs = {c.doc_id for c in self.corpus.chunks if c.id in used}
        data = {"attempts": dict(sorted(self.counts.items())),
                "chunks": {"total": len(self.corpus.chunks), "focus": len(used)},
                "documents": {"total": len(self.corpus.documents), "focus": len(docs)}}
        write_atomic(ctx.workdir("task", self.name) / GENERATION_FILE,
                     json.dumps(data, indent=2) + "\n")


def context_of(plan: Plan) -> str:
    """A plan's context as a sample keeps it: its chunks' texts, focus first."""
    return CONTEXT_SEPARATOR.join(c.text for c in plan.chunks)


def lineage(plan: Plan) -> dict:
    """A sample's ``source.locator``: the chunk ids in context order, the documents they come
    from (paths, in order), each chunk's page span and the query that found them."""
    return {"chunks": [c.id for c in plan.chunks],
            "docs": list(dict.fromkeys(c.path for c in plan.chunks)),
            "pages": {c.id: [c.page_start, c.page_end] for c in plan.chunks},
            "query": plan.query}
