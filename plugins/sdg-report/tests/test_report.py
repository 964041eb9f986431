"""``report.html``: written by ``sdg run`` and by ``sdg report``, self-contained, true to the
run's files, on a finished run and on one still in progress."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

from sdg_report import plugin as report_plugin
from sdg_report.facts import gather, reason_group
from sdg_report.index import SampleIndex
from sdg_report.report import REPORT
from sdg_report.rundir import RunFiles
from sdgcore import Sample, hookimpl
from sdgcore.testing import components, world
from sdgcore.testing.server import FakeOpenAIServer, Script

HOSTILE = "Q90 <script>alert('x')</script> & <b>bold</b> [learnable]"  # conftest's QUESTIONS


def exported(run_dir) -> list[dict]:
    """Every record of the run's exported category files."""
    return [json.loads(line) for name in ("learnable", "too_easy", "too_hard", "dropped")
            for line in (run_dir / f"{name}.jsonl").read_text().splitlines()]


def test_sdg_run_writes_the_report_when_it_ends(made_run):
    run_dir, output = made_run
    page = (run_dir / REPORT).read_text()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert "warning" not in output
    assert "status</td><td>finished: the task has no more new samples" in page
    for key, count in summary["counts"].items():
        assert f"<tr><td>{key}</td><td class=\"n\">{count}</td></tr>" in page
    for name in ("categories", "pass_rates", "rounds", "drops", "time", "endpoint_tokens",
                 "sources"):
        assert re.search(f'<figure id="fig-{name}"><svg[^>]*>', page), name
    for section in ("categories", "pass-rates", "rewrites", "drops", "spending", "coverage",
                    "examples"):
        assert f'<h2 id="{section}">' in page
    assert summary["rounds"] >= 3  # batch 8 over 25 questions


def test_the_report_needs_no_network_and_escapes_samples(made_run):
    page = (made_run[0] / REPORT).read_text()
    assert "<script" not in page.replace("&lt;script", "")
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "@import" not in page and "url(http" not in page
    assert "Q90 &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold" in page
    assert HOSTILE not in page


def test_the_report_says_what_the_run_did_not_record(made_run):
    page = (made_run[0] / REPORT).read_text()
    assert "Tokens per stage are not recorded by the run" in page
    assert "This run&#x27;s task recorded no keywords" in page
    assert "not known (the backend gives no price)" in page  # the loopback server has none


def test_facts_follow_the_rewrites_and_drops(made_run):
    run_dir = made_run[0]
    facts = gather(SampleIndex(RunFiles(run_dir)))
    records = exported(run_dir)
    assert facts.counts == {**Counter(
        "dropped" if r["dropped"] else r["category"] for r in records), "uncategorized": 0}
    easy = sum("[easy]" in r["question"] and r["parent_id"] is None for r in records)
    hard = sum("[hard]" in r["question"] and r["parent_id"] is None for r in records)
    # world: an easy question made harder becomes learnable; a hard one made easier stays hard
    assert facts.moves == Counter({(1, "harder", "too_easy", "learnable"): easy,
                                   (1, "easier", "too_hard", "too_hard"): hard})
    assert facts.outcomes[("too_easy", "learnable")] == easy
    assert facts.outcomes[("too_hard", "too_hard")] == hard
    drops = Counter(reason_group(r["dropped"]) for r in records if r["dropped"])
    assert facts.drops == drops and "label: low agreement # < #" in drops
    assert facts.pass_rates == Counter(r["pass_rate"] for r in records if not r["dropped"])
    assert set(facts.examples) == {"learnable", "too_easy", "too_hard", "dropped"}
    assert len({reason_group(r["dropped"]) for r in facts.examples["dropped"]}) == len(
        facts.examples["dropped"])  # one example per kind of drop


def test_sdg_report_on_a_run_in_progress(run_dir, sdg_cli, make_plugin_manager):
    """Only two rounds finished, the third being written: no summary or exports yet."""
    for path in run_dir.glob("*.jsonl"):
        path.unlink()
    (run_dir / "summary.json").unlink()
    (run_dir / REPORT).unlink()
    rounds = sorted((run_dir / "rounds").glob("round-*.json"))
    for meta in rounds[2:]:
        meta.unlink()  # round 2's samples are there, but the round is not finished
    third = (run_dir / "rounds" / "round-00002.jsonl").read_text().splitlines(keepends=True)
    (run_dir / "rounds" / "round-00002.jsonl").write_text("".join(third[:2]) + third[2][:30])
    kept = [Sample.from_json(line) for n in (0, 1) for line in
            (run_dir / "rounds" / f"round-{n:05d}.jsonl").read_text().splitlines()]

    result = sdg_cli(["report", str(run_dir)], manager=make_plugin_manager(report_plugin))
    assert result.exit_code == 0, result.output
    assert f"report: {run_dir / REPORT}" in result.output
    page = (run_dir / REPORT).read_text()
    assert "status</td><td>in progress, or interrupted" in page
    assert "checkpoints written</td><td>2</td>" in page
    assert "a round is being written; it is counted once it finishes" in page
    assert f"total</td><td class=\"n\">{len(kept)}<" in page
    assert "Time per stage is recorded in summary.json when a run ends" in page


def test_a_half_written_line_is_left_for_later(run_dir):
    """Exported files alone (no checkpoints): a torn last line is not read, a broken line in
    the middle is counted as unreadable, and the rest is reported."""
    shutil.rmtree(run_dir / "rounds")
    learnable = run_dir / "learnable.jsonl"
    lines = learnable.read_text().splitlines(keepends=True)
    learnable.write_text(lines[0] + "{not json\n" + "".join(lines[1:-1]) + lines[-1][:40])
    index = SampleIndex(RunFiles(run_dir))
    facts = gather(index)
    assert facts.counts["learnable"] == len(lines) - 1 and facts.skipped == 1
    assert not facts.checkpointed
    learnable.write_text("".join(lines))  # the writer finished: read again whole
    assert gather(index).counts["learnable"] == len(lines)


def test_sdg_report_refuses_a_directory_without_a_run(tmp_path, sdg_cli, make_plugin_manager):
    (tmp_path / "notes.txt").write_text("hello")
    result = sdg_cli(["report", str(tmp_path)], manager=make_plugin_manager(report_plugin))
    assert result.exit_code == 2
    assert f"error: {tmp_path} holds no sdg run" in result.output
    assert not (tmp_path / REPORT).exists()


class Broken:
    """A plugin whose ``sdg_run_finished`` fails."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def sdg_run_finished(self, run_dir, config):
        self.calls.append(str(run_dir))
        raise RuntimeError("the disk is full")


def test_a_failing_run_finished_hook_is_a_warning_not_a_failed_run(tmp_path, sdg_cli,
                                                                   make_plugin_manager):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    broken = Broken()
    manager = make_plugin_manager(components, voting, rewriters, report_plugin, broken)
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        config = world.write_config(tmp_path / "c.yaml", server.url, run_dir,
                                    ["Q1 [learnable]", "Q2 [easy]"])
        result = sdg_cli(["run", str(config)], manager=manager)
    assert result.exit_code == 0, result.output
    assert broken.calls == [str(run_dir)]
    [warning] = [line for line in result.stderr.splitlines() if "sdg_run_finished" in line]
    assert warning.startswith("warning: plugin 'Broken-")
    assert warning.endswith("': sdg_run_finished failed: RuntimeError: the disk is full")
    assert (run_dir / REPORT).exists()  # the other implementation still ran


def test_keyword_and_corpus_coverage_where_the_task_records_them(run_dir):
    """A task that extracts keywords (``local``) keeps them in its work directory."""
    work = run_dir / "task-local"
    work.mkdir()
    (work / "keywords.json").write_text(json.dumps(
        {"keywords": ["Rewritten", "EASY", "federalism"], "source": "teacher"}))
    (work / "generation.json").write_text(json.dumps({"chunks": {"total": 40, "focus": 3}}))
    records = exported(run_dir)
    facts = gather(SampleIndex(RunFiles(run_dir)))

    def mentions(word):
        return sum(word in f"{r['question']} {r['reference'] or ''}".casefold()
                   for r in records)

    assert facts.keyword_hits == Counter({"Rewritten": mentions("rewritten"),
                                          "EASY": mentions("easy")})
    assert facts.keyword_hits["Rewritten"] > 0
    page = report_page(run_dir)
    assert "2 of 3 keywords appear in at least one question or reference response" in page
    assert "Never mentioned: federalism" in page
    assert '<figure id="fig-keywords"><svg' in page


def report_page(run_dir) -> str:
    from sdg_report.report import write_report

    return write_report(run_dir).read_text()


def test_a_run_that_has_finished_no_round_yet(run_dir):
    shutil.rmtree(run_dir / "rounds")
    (run_dir / "rounds").mkdir()
    for path in [*run_dir.glob("*.jsonl"), run_dir / "summary.json"]:
        path.unlink()
    page = report_page(run_dir)
    assert "status</td><td>in progress, or interrupted" in page
    assert "total</td><td class=\"n\">0<" in page
    assert "No sample has been scored yet." in page
