"""``report.html``: one self-contained page about a run (plots inlined as SVG, no scripts,
no network), written atomically into the run directory."""

from __future__ import annotations

import datetime
import json
from html import escape
from pathlib import Path
from typing import Any

from sdg_report import figures
from sdg_report.facts import Facts, gather
from sdg_report.index import SampleIndex
from sdg_report.rundir import KEYS, RunFiles
from sdgcore import write_atomic

REPORT = "report.html"
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222}
h1{font-size:1.5em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;
text-align:left;vertical-align:top}td.n,th.n{text-align:right}
.note{color:#555;font-style:italic}.missing{color:#8a4b00}
figure{margin:.5em 0}figure svg{max-width:100%;height:auto}
.sample{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:.6em 0}
.sample pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:.4em;
margin:.2em 0}
.tag{display:inline-block;border-radius:3px;padding:0 .4em;color:#fff;font-size:.85em}
"""


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the report of the run in ``run_dir`` to ``out`` (``run_dir/report.html``).

    :raises InputError: ``run_dir`` holds no sdg run.
    """
    facts = gather(SampleIndex(RunFiles(run_dir)))
    path = out or Path(run_dir) / REPORT
    write_atomic(path, render(facts, figures.all_figures(facts)))
    return path


def render(facts: Facts, plots: dict[str, str]) -> str:
    """The page, from the facts and their plots (``<svg>`` texts by name)."""
    parts = [_header(facts), _categories(facts, plots), _rewrites(facts, plots),
             _drops(facts, plots), _spending(facts, plots), _coverage(facts, plots),
             _examples(facts)]
    title = escape(f"sdg run report: {facts.run_dir}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def _table(head: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric if numeric is not None else {
        i for i in range(len(head)) if rows and all(isinstance(r[i], int | float) for r in rows)}

    def cell(tag: str, i: int, value: Any) -> str:
        css = ' class="n"' if i in numeric else ""
        return f"<{tag}{css}>{escape(_fmt(value))}</{tag}>"

    lines = ["<table><tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr>"]
    lines += ["<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>"
              for r in rows]
    return "\n".join(lines) + "</table>"


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _figure(plots: dict[str, str], name: str) -> str:
    return f'<figure id="fig-{name}">{plots[name]}</figure>' if name in plots else ""


def _missing(text: str) -> str:
    return f'<p class="missing">{escape(text)}</p>'


def _header(facts: Facts) -> str:
    summary = facts.summary or {}
    task = (facts.config.get("task") or {}).get("type")
    if facts.finished:
        status = f"finished: {summary.get('stopped', 'no reason recorded')}"
    else:
        status = "in progress, or interrupted (summary.json is older than the last round or " \
                 "missing)"
    rows = [["run directory", facts.run_dir], ["status", status],
            ["checkpoints written", facts.rounds], ["task", task],
            ["learnable target", (facts.config.get("target") or {}).get("learnable")],
            ["learnable band", "{} < pass rate < {}".format(*facts.band)],
            ["config fingerprint", facts.marker.get("fingerprint")],
            ["versions", ", ".join(f"{k} {v}" for k, v in
                                   (facts.marker.get("versions") or {}).items())],
            ["report written", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")]]
    if not facts.checkpointed:
        rows.append(["read from", "the exported <category>.jsonl files (no rounds/)"])
    if facts.unfinished_round:
        rows.append(["note", "a round is being written; it is counted once it finishes"])
    if facts.skipped:
        rows.append(["unreadable lines", f"{facts.skipped} (not whole JSON; left out)"])
    return f"<h1>{escape(f'sdg run report: {Path(facts.run_dir).name}')}</h1>" + _table(
        ["", ""], rows, numeric=set())


def _categories(facts: Facts, plots: dict[str, str]) -> str:
    rows = [[k, facts.counts[k]] for k in KEYS if facts.counts[k] or k != "uncategorized"]
    low, high = facts.band
    rates = _table(["pass rate", "samples"],
                   [[r, facts.pass_rates[r]] for r in sorted(facts.pass_rates)])
    return ('<h2 id="categories">Categories</h2>'
            '<p class="note">Every version counts: a sample rewritten once counts in its own '
            "category and its rewrite in the rewrite's.</p>"
            + _table(["category", "samples"], rows + [["total", facts.total]])
            + _figure(plots, "categories")
            + '<h2 id="pass-rates">Pass rates</h2>'
            + (f"<p>too_hard: pass rate ≤ {low}; learnable: between; too_easy: ≥ {high}.</p>"
               + _figure(plots, "pass_rates") + rates if facts.pass_rates
               else _missing("No sample has been scored yet.")))


def _rewrites(facts: Facts, plots: dict[str, str]) -> str:
    moves = [[n, d, a, b, c] for (n, d, a, b), c in sorted(facts.moves.items())]
    outcomes = [[a, b, c] for (a, b), c in sorted(facts.outcomes.items())]
    body = (_table(["round", "direction", "parent's category", "rewrite's category",
                    "samples"], moves) if moves
            else _missing("No sample was rewritten (rewrite off, or none left the band)."))
    return ('<h2 id="rewrites">Rewrites</h2>' + _figure(plots, "rounds")
            + "<h3>Each rewrite: from its parent's category to its own</h3>" + body
            + "<h3>Each generated sample: where it started and where its last version "
              "ended</h3>" + _table(["generated as", "ended as", "samples"], outcomes))


def _drops(facts: Facts, plots: dict[str, str]) -> str:
    if not facts.drops:
        return '<h2 id="drops">Drop reasons</h2><p>No sample was dropped.</p>'
    rows = [[g, c, facts.drop_examples[g]] for g, c in facts.drops.most_common()]
    return ('<h2 id="drops">Drop reasons</h2>'
            f"<p>{facts.counts['dropped']} dropped; {facts.transient} of them for a reason "
            "that may pass (a resumed run tries them again). Numbers in reasons are "
            "grouped as #.</p>" + _figure(plots, "drops")
            + _table(["reason", "samples", "example"], rows))


def _spending(facts: Facts, plots: dict[str, str]) -> str:
    parts = ['<h2 id="spending">Tokens, cost and time</h2>']
    if facts.spent:
        parts.append("<p>Spent by the checkpointed samples, every invocation of the run together: "
                     f"{facts.spent.get('requests', 0)} requests, "
                     f"{facts.spent.get('tokens', 0)} tokens.</p>")
    parts.append("<h3>Per stage</h3>")
    summary = facts.summary
    if summary and summary.get("seconds"):
        parts.append('<p class="note">Seconds of the last invocation; label, solve and '
                     "rewrite are summed over the samples in flight, so they can exceed the "
                     "wall time.</p>" + _figure(plots, "time")
                     + _table(["stage", "seconds"], [[k, v] for k, v in
                                                     summary["seconds"].items()]))
    else:
        parts.append(_missing("Time per stage is recorded in summary.json when a run ends; "
                              "this run has none yet."))
    parts.append(_missing("Tokens per stage are not recorded by the run: it records the "
                          "tokens of each sample (all its requests together, shown per "
                          "category below) and of each endpoint."))
    parts.append(_table(["category", "prompt tokens", "completion tokens"],
                        [[k, *v] for k, v in facts.tokens.items()]))
    parts.append("<h3>Per endpoint</h3>")
    models = (summary or {}).get("models") or {}
    if models:
        parts.append('<p class="note">The last invocation of the run (a resumed run counts '
                     "only what it did itself; cached replies cost nothing).</p>")
        rows = [[name, m.get("requests"), m.get("retries"), m.get("cache_hits"),
                 m.get("failures"), m.get("prompt_tokens"), m.get("completion_tokens"),
                 "not known (the backend gives no price)" if m.get("cost") is None
                 else f"${m['cost']:.4f}"] for name, m in models.items()]
        parts.append(_figure(plots, "endpoint_tokens") + _table(
            ["endpoint", "requests", "retries", "cache hits", "failures", "prompt tokens",
             "completion tokens", "cost"], rows))
    else:
        parts.append(_missing("Accounting per endpoint is recorded in summary.json when a "
                              "run ends; this run has none yet."))
    return "\n".join(parts)


def _coverage(facts: Facts, plots: dict[str, str]) -> str:
    parts = ['<h2 id="coverage">Source and keyword coverage</h2>', _figure(plots, "sources")]
    rows = [[ref, sum(c.values()), *(c[k] for k in KEYS[:4])]
            for ref, c in sorted(facts.sources.items(), key=lambda kv: -sum(kv[1].values()))]
    parts.append(_table(["source", "samples", *KEYS[:4]], rows[:200]))
    if len(rows) > 200:
        parts.append(f'<p class="note">{len(rows) - 200} more sources not listed.</p>')
    parts.append("<p>Source kinds: " + escape(", ".join(
        f"{k} {n}" for k, n in facts.source_kinds.most_common())) + "</p>")
    generation = facts.generation or {}
    chunks = generation.get("chunks") or {}
    if facts.chunks or chunks:
        total = chunks.get("total")
        parts.append(f"<p>Chunks samples were made from: {len(facts.chunks)}"
                     + (f" of {total} in the corpus" if total else "") + ".</p>")
    parts.append("<h3>Keywords</h3>")
    if facts.keywords is None:
        parts.append(_missing("This run's task recorded no keywords (no keywords.json in "
                              "its work directory)."))
    else:
        missing = [k for k in facts.keywords if not facts.keyword_hits[k]]
        parts.append(f"<p>{len(facts.keywords) - len(missing)} of {len(facts.keywords)} "
                     "keywords appear in at least one question or reference response.</p>"
                     + _figure(plots, "keywords"))
        if missing:
            parts.append("<p>Never mentioned: " + escape(", ".join(missing)) + "</p>")
    return "\n".join(parts)


def _examples(facts: Facts) -> str:
    parts = ['<h2 id="examples">Examples</h2>']
    for key in KEYS:
        shown = facts.examples.get(key) or []
        if shown:
            parts.append(f"<h3>{escape(key)}</h3>" + "".join(_sample(r) for r in shown))
    return "\n".join(parts)


def _sample(record: dict[str, Any]) -> str:
    key = "dropped" if record.get("dropped") else (record.get("category") or "uncategorized")
    color = figures.COLORS.get(key, "#999")
    attempts = record.get("attempts") or []
    facts = [f'<span class="tag" style="background:{color}">{escape(key)}</span>',
             f"id {escape(str(record.get('id')))}",
             f"round {escape(str(record.get('round', 0)))}"]
    if record.get("parent_id"):
        facts.append(f"rewritten {escape(str(record.get('direction')))} from "
                     f"{escape(str(record['parent_id']))}")
    if record.get("pass_rate") is not None:
        correct = sum(bool(a.get("correct")) for a in attempts)
        facts.append(f"pass rate {record['pass_rate']:.2f} ({correct}/{len(attempts)})")
    if record.get("agreement") is not None:
        facts.append(f"agreement {record['agreement']:.2f} of {len(record.get('votes') or [])}"
                     " votes")
    source = record.get("source") or {}
    facts.append("source " + escape(" ".join(str(x) for x in (source.get("kind"),
                                                              source.get("ref")) if x)))
    fields = [("question", record.get("question")), ("answer", record.get("answer")),
              ("gold", record.get("gold")), ("reference", record.get("reference")),
              ("dropped", record.get("dropped"))]
    body = "".join(f"<div><b>{name}</b><pre>{escape(str(value))}</pre></div>"
                   for name, value in fields if value)
    if record.get("context"):
        body += ("<details><summary>context</summary><pre>"
                 + escape(str(record["context"])) + "</pre></details>")
    if source.get("locator"):
        body += ("<details><summary>source locator</summary><pre>"
                 + escape(json.dumps(source["locator"], ensure_ascii=False, indent=1))
                 + "</pre></details>")
    return f'<div class="sample"><p>{" · ".join(facts)}</p>{body}</div>'
