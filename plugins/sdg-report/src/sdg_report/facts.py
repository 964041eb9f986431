"""What a report says about a run, gathered in one pass over its samples.

Only what the run recorded: counts, pass rates, rewrites and drops from the samples; time per
stage and accounting per endpoint from ``summary.json`` (written when a run ends); requests
and tokens spent from the round checkpoints; keywords and corpus coverage from the files a
task keeps in its work directory (``task-local/keywords.json``, ``generation.json``). What a
run did not record is left as None, and the report says it is missing.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import attrs

from sdg_report.index import Entry, SampleIndex
from sdg_report.rundir import KEYS, key_of, read_json

EXAMPLES = 3
"""Example samples shown per category: the first, the middle and the last one."""
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_REF = re.compile(r"\(ref [0-9a-f]+\)")


def reason_group(reason: str) -> str:
    """A drop reason with its numbers blanked, so that reasons differing only in the numbers
    (``low agreement 0.40 < 0.60``) count as one."""
    return _NUMBER.sub("#", _REF.sub("", reason)).strip()[:120]


@attrs.define
class Facts:
    """Everything a report shows; see :func:`gather`."""

    run_dir: str
    finished: bool
    checkpointed: bool
    rounds: int
    unfinished_round: bool
    skipped: int
    config: dict[str, Any]
    marker: dict[str, Any]
    summary: dict[str, Any] | None
    counts: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(KEYS, 0))
    pass_rates: Counter = attrs.field(factory=Counter)
    by_round: dict[int, Counter] = attrs.field(factory=dict)
    moves: Counter = attrs.field(factory=Counter)
    outcomes: Counter = attrs.field(factory=Counter)
    drops: Counter = attrs.field(factory=Counter)
    drop_examples: dict[str, str] = attrs.field(factory=dict)
    transient: int = 0
    tokens: dict[str, list[int]] = attrs.field(factory=dict)
    sources: dict[str, Counter] = attrs.field(factory=dict)
    source_kinds: Counter = attrs.field(factory=Counter)
    chunks: set[str] = attrs.field(factory=set)
    keywords: list[str] | None = None
    keyword_hits: Counter = attrs.field(factory=Counter)
    generation: dict[str, Any] | None = None
    spent: dict[str, int] | None = None
    examples: dict[str, list[dict[str, Any]]] = attrs.field(factory=dict)

    @property
    def band(self) -> tuple[float, float]:
        """The pass rates between which a sample is learnable (``categorize.low/high``)."""
        section = self.config.get("categorize") or {}
        return float(section.get("low", 0.0)), float(section.get("high", 1.0))

    @property
    def total(self) -> int:
        """Samples, every version counted."""
        return sum(self.counts.values())


def gather(index: SampleIndex) -> Facts:
    """The facts of the run that ``index`` reads (refreshed first)."""
    index.refresh()
    files = index.files
    rounds = files.rounds()
    facts = Facts(run_dir=str(files.path), finished=files.finished(),
                  checkpointed=files.checkpointed, rounds=len(rounds),
                  unfinished_round=files.checkpointed and files.unfinished_round(),
                  skipped=index.skipped, config=files.config(), marker=files.marker(),
                  summary=files.summary())
    if rounds and isinstance(rounds[-1].get("spent"), dict):
        facts.spent = dict(rounds[-1]["spent"])
    keyword_files = files.component_files("keywords.json")
    terms = [read_json(p) for p in keyword_files]
    if keyword_files:
        facts.keywords = [str(t) for data in terms if isinstance(data, dict)
                          for t in data.get("keywords") or ()]
    generation = [read_json(p) for p in files.component_files("generation.json")]
    facts.generation = next((g for g in generation if isinstance(g, dict)), None)
    chains = _Chains(examples=_examples(index))
    for record in index.records():
        _add(facts, record, chains)
    for root, first in chains.firsts.items():
        facts.outcomes[(first, chains.lasts[root])] += 1
    return facts


@attrs.define
class _Chains:
    """Where each sample stands, and where each chain started and ended."""

    keys: dict[str, str] = attrs.field(factory=dict)
    roots: dict[str, str] = attrs.field(factory=dict)
    firsts: dict[str, str] = attrs.field(factory=dict)
    lasts: dict[str, str] = attrs.field(factory=dict)
    examples: set[str] = attrs.field(factory=set)


def _examples(index: SampleIndex) -> set[str]:
    """The ids of the examples to show: per category the first, middle and last sample; of
    the dropped, the first of each kind of drop reason."""
    by_key: dict[str, list[Entry]] = {}
    for entry in index.active:
        by_key.setdefault(entry.key, []).append(entry)
    chosen = set()
    for key, entries in by_key.items():
        if key == "dropped":
            groups = {}
            for entry in entries:
                groups.setdefault(reason_group(entry.reason or ""), entry)
            picked = list(groups.values())[:EXAMPLES]
        else:
            n = len(entries)
            picked = [entries[i] for i in sorted({0, n // 2, n - 1})][:EXAMPLES]
        chosen.update(e.id for e in picked)
    return chosen


def _add(facts: Facts, record: dict[str, Any], chains: _Chains) -> None:
    key = key_of(record)
    sample_id = str(record.get("id"))
    parent = record.get("parent_id")
    number = int(record.get("round") or 0)
    chains.keys[sample_id] = key
    facts.counts[key] += 1
    facts.by_round.setdefault(number, Counter())[key] += 1
    if parent is None:
        root = chains.roots[sample_id] = sample_id
        chains.firsts[sample_id] = key
    else:  # parents come before their rewrites in a file
        root = chains.roots[sample_id] = chains.roots.get(parent, parent)
        facts.moves[(number, record.get("direction") or "?",
                     chains.keys.get(parent, "?"), key)] += 1
    chains.lasts[root] = key
    if record.get("pass_rate") is not None and key != "dropped":
        facts.pass_rates[round(float(record["pass_rate"]), 4)] += 1
    if key == "dropped":
        group = reason_group(str(record["dropped"]))
        facts.drops[group] += 1
        facts.drop_examples.setdefault(group, str(record["dropped"]))
        facts.transient += bool(record.get("dropped_transient"))
    tokens = record.get("tokens") or {}
    spent = facts.tokens.setdefault(key, [0, 0])
    spent[0] += int(tokens.get("prompt") or 0)
    spent[1] += int(tokens.get("completion") or 0)
    source = record.get("source") or {}
    ref = str(source.get("ref") or source.get("kind") or "unknown")
    facts.sources.setdefault(ref, Counter())[key] += 1
    facts.source_kinds[str(source.get("kind") or "unknown")] += 1
    chunks = (source.get("locator") or {}).get("chunks")
    if isinstance(chunks, list) and chunks and parent is None:
        facts.chunks.add(str(chunks[0]))  # the chunk the sample was made from (focus first)
    if facts.keywords:
        text = f"{record.get('question') or ''} {record.get('reference') or ''}".casefold()
        facts.keyword_hits.update(k for k in facts.keywords if k.casefold() in text)
    if sample_id in chains.examples:
        facts.examples.setdefault(key, []).append(record)

