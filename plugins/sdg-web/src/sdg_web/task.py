"""The ``web`` task: samples made from existing datasets, on the Hub or on this machine.

``prepare`` finds the datasets (:mod:`sdg_web.discovery`: the teacher's keywords, Hub
searches, the filters) or takes those listed, probes each (:mod:`sdg_web.probe`), has the
judge map its columns and score it (:mod:`sdg_web.mapping`), keeps the best, reads their rows
and saves the plan (:mod:`sdg_web.plan`). ``generate`` draws rows from the datasets in
proportion to their scores and makes each a sample (:mod:`sdg_web.convert`): as it is, or
rewritten by the teacher where the format differs; the row's known answer is the sample's
``gold``, and its dataset id, config, split and row index are its lineage.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from sdg_web import discovery
from sdg_web.config import WebConfig
from sdg_web.convert import Draft, direct, mapped, read_conversion
from sdg_web.hub import Hub, HubError
from sdg_web.mapping import FieldMap, configured, judge_mapping
from sdg_web.plan import Plan, Seen, Used, interleave
from sdg_web.probe import Probe, probe
from sdg_web.prompts import CONVERT_SCHEMA, convert_messages
from sdg_web.rows import DatasetRef, parse_ref, read_rows
from sdgcore import (
    ChatRequest,
    InputError,
    NearDuplicates,
    Sample,
    SdgError,
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

MAX_REJECTS = 50
"""Consecutive rows that made nothing new after which generation ends."""
PREFETCH = 8
"""Conversion requests kept in flight (capped by the endpoint's concurrency)."""
PROBE_FACTOR = 3
"""Datasets probed per dataset wanted (``max_datasets``), best downloaded first."""
PROBES_AT_ONCE = 4
"""Datasets probed at once."""
GENERATION_FILE = "generation.json"


class WebTask(Task):
    """Samples from Hugging Face or local datasets: discovery, probing, field mapping.

    :ivar plan: what :meth:`prepare` decided (the datasets used, every dataset seen).
    :ivar counts: attempts of the last :meth:`generate` by outcome (``made``, ``duplicate``,
        ``no_question``, ``failed``, ``empty``, ``long_answer``).
    :ivar drawn: samples made per dataset in the last :meth:`generate`.
    """

    name = "web"
    Config = WebConfig
    config: WebConfig

    def __init__(self, config: WebConfig) -> None:
        super().__init__(config)
        self.plan: Plan | None = None
        self.rows: list[list[dict[str, Any]]] = []
        self.counts: Counter[str] = Counter()
        self.drawn: Counter[str] = Counter()

    async def prepare(self, ctx: RunContext) -> None:
        """Find, probe, map and score the datasets, read their rows and save the plan;
        a resumed run reads the saved plan and rows instead.

        :raises SdgError: no dataset is usable (the reasons are listed); a listed dataset
            cannot be read, or ``task.fields`` names a column it does not have.
        """
        if self.plan is not None:
            return
        workdir = ctx.workdir("task", self.name)
        saved = Plan.load(workdir)
        if saved is not None:
            self.plan, self.rows = saved
            return
        config, hub = self.config, Hub(self.config)
        listed = bool(config.datasets)
        if listed:
            keywords, seen = [], []
            candidates: list[tuple[DatasetRef, dict]] = [
                (parse_ref(text), {}) for text in config.datasets]
        else:
            keywords, candidates, seen = await self._discover(ctx, hub)
        judge = (endpoint_for(ctx, config.judge_model, "task.judge_model")
                 if not (listed and config.fields) else None)
        slots = asyncio.Semaphore(PROBES_AT_ONCE)

        async def look(ref: DatasetRef, facts: dict) -> tuple[Probe, FieldMap] | Seen:
            async with slots:
                return await self._look(ctx, hub, judge, ref, facts, listed)

        looked = await asyncio.gather(*(look(ref, facts) for ref, facts in candidates))
        usable = [x for x in looked if not isinstance(x, Seen)]
        seen += [x for x in looked if isinstance(x, Seen)]
        limit = len(usable) if listed else config.max_datasets  # listed: every one
        best = sorted(range(len(usable)), key=lambda i: -usable[i][1].weight)
        keep = sorted(best[:limit])
        for i in best[limit:]:
            seen.append(Seen(str(usable[i][0].ref), "outscored",
                             f"weight {usable[i][1].weight:g} below the {limit} used",
                             _scores(usable[i][1])))
        if not keep:
            raise SdgError("task web: no usable dataset" + "".join(
                f"\n  {s.id}: {s.status}: {s.reason}" for s in seen),
                hint="widen the filters (licenses, sizes, tags), lower min_relevance / "
                     "min_quality, or list datasets under task.datasets")
        used, rows = [], []
        for i in keep:
            found, field_map = usable[i]
            pool = await asyncio.to_thread(read_rows, hub, found.ref, found.config,
                                           found.split, config.max_rows)
            used.append(Used(found.ref, found.config, found.split, found.revision,
                             found.license, field_map, len(pool)))
            rows.append(pool)
            seen.append(Seen(str(found.ref), "used", field_map.reason, _scores(field_map)))
        self.plan, self.rows = Plan(keywords, used, seen), rows
        self.plan.save(workdir, rows)

    async def _discover(self, ctx: RunContext, hub: Hub
                        ) -> tuple[list[str], list[tuple[DatasetRef, dict]], list[Seen]]:
        """The search keywords, the datasets found that pass the filters (at most
        :data:`PROBE_FACTOR` x ``max_datasets``, most downloaded first) with what the search
        said of each, and those left out, with the reason."""
        config = self.config
        teacher = endpoint_for(ctx, config.model, "task.model")
        keywords = await discovery.keywords(teacher, config, ctx.seed)
        found = await asyncio.to_thread(discovery.search, hub, keywords, config)
        candidates: list[tuple[DatasetRef, dict]] = []
        seen: list[Seen] = []
        for cand in found:
            facts = {"downloads": cand.downloads, "licenses": list(cand.licenses),
                     "gated": cand.gated, "size": cand.size, "keyword": cand.keyword}
            reason = discovery.screen(cand, config)
            if reason is None and len(candidates) >= PROBE_FACTOR * config.max_datasets:
                reason = f"beyond the {len(candidates)} datasets probed"
            if reason is None:
                candidates.append((DatasetRef(cand.id), facts))
            else:
                seen.append(Seen(cand.id, "left_out", reason, facts))
        return keywords, candidates, seen

    async def _look(self, ctx: RunContext, hub: Hub, judge: Endpoint | None, ref: DatasetRef,
                    facts: dict, listed: bool) -> tuple[Probe, FieldMap] | Seen:
        """Probe ``ref`` and map it: the probe and its map, or why it is not usable (a listed
        dataset that cannot be read raises instead)."""
        try:
            found = await asyncio.to_thread(probe, hub, ref, self.config.split,
                                            self.config.probe_rows)
        except (HubError, InputError) as exc:
            if listed:
                raise
            return Seen(str(ref), "unusable", str(exc), facts)
        if judge is None:
            return found, configured(self.config, found)
        field_map, why, _ = await judge_mapping(judge, self.config, found, ctx.seed)
        if field_map is None:
            if listed:
                raise SdgError(f"task.datasets: {ref}: {why}",
                               hint="map its columns yourself under task.fields")
            return Seen(str(ref), "unusable", why, facts)
        low = None if listed else field_map.passes(self.config)
        if low is not None:
            return Seen(str(ref), "left_out", low, {**facts, **_scores(field_map)})
        return found, field_map

    async def generate(self, ctx: RunContext) -> AsyncIterator[Sample]:
        """Yield a sample per row drawn, in the order :func:`~sdg_web.plan.interleave`
        draws them; return when the rows run out or after :data:`MAX_REJECTS` rows in a
        row made nothing new."""
        if self.plan is None:
            await self.prepare(ctx)
        assert self.plan is not None
        plan, teacher = self.plan, endpoint_for(ctx, self.config.model, "task.model")
        pairs = interleave([u.map.weight for u in plan.used], [len(r) for r in self.rows],
                           ctx.seed)
        self.counts, self.drawn = Counter(), Counter()

        async def attempt(pair: tuple[int, int]) -> Sample | str:
            return await self._attempt(ctx, teacher, *pair)

        try:
            async with aclosing(draft_samples(
                    pairs, attempt, window=min(PREFETCH, teacher.concurrency),
                    max_rejects=MAX_REJECTS, seen=NearDuplicates(self.config.dedup_threshold),
                    counts=self.counts)) as samples:
                async for sample in samples:
                    self.drawn[sample.source.ref or ""] += 1
                    yield sample
        finally:
            write_atomic(ctx.workdir("task", self.name) / GENERATION_FILE, json.dumps(
                {"attempts": dict(sorted(self.counts.items())),
                 "samples": dict(sorted(self.drawn.items()))}, indent=2) + "\n")

    async def _attempt(self, ctx: RunContext, teacher: Endpoint, dataset: int,
                       row: int) -> Sample | str:
        used = self.plan.used[dataset]  # type: ignore[union-attr]
        texts = mapped(self.rows[dataset][row], used.map.fields)
        draft = direct(texts)
        if draft is None:
            return "no_question"
        mode = self.config.convert
        unreadable = "answer" in used.map.fields and draft.gold is None
        if mode == "never" or (mode == "auto" and not used.map.needs_conversion
                               and not unreadable):
            return self._sample(used, row, draft, Tokens())
        done = await teacher.chat(ChatRequest(
            messages=convert_messages(texts, self.config.answer_format.line()),
            temperature=0.0, seed=derive_seed(ctx.seed, "web", "convert", str(used.ref), row),
            json_schema=CONVERT_SCHEMA))
        converted, outcome = read_conversion(done, draft.context)
        if converted is None:
            return outcome
        return self._sample(used, row, converted, done.tokens)

    def _sample(self, used: Used, row: int, draft: Draft, tokens: Tokens) -> Sample:
        locator: dict[str, Any] = {"config": used.config, "split": used.split, "row": row}
        if used.revision:
            locator["revision"] = used.revision
        if used.ref.local:
            locator["format"] = used.ref.kind
        return Sample(task=self.name, question=draft.question, reference=draft.reference,
                      gold=draft.gold, context=draft.context,
                      answer_format=self.config.answer_format,
                      source=Source("dataset", used.source_ref, locator),
                      meta={"converted": draft.converted}, tokens=tokens)


def _scores(field_map: FieldMap) -> dict[str, Any]:
    return {"fields": field_map.fields, "relevance": field_map.relevance,
            "quality": field_map.quality, "needs_conversion": field_map.needs_conversion,
            "weight": field_map.weight}
