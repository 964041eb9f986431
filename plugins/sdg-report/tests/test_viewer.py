"""``sdg view``'s server and index: the JSON API over a real run, pagination and filters,
lineage, read-only answers, and a run that is still being written."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from sdg_report import server as server_module
from sdg_report.index import Query, SampleIndex
from sdg_report.rundir import RunFiles
from sdgcore import Sample, Source


def get(url: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def exported(run_dir: Path) -> list[dict]:
    return [json.loads(line) for name in ("learnable", "too_easy", "too_hard", "dropped")
            for line in (run_dir / f"{name}.jsonl").read_text().splitlines()]


def key(record: dict) -> str:
    return "dropped" if record["dropped"] else record["category"]


def test_summary_and_pages_cover_every_sample_once(made_run, serve):
    run_dir = made_run[0]
    base = serve(run_dir)
    records = exported(run_dir)
    status, summary = get(f"{base}/api/summary")
    assert status == 200 and summary["finished"] is True
    assert summary["counts"] == {**Counter(map(key, records)), "uncategorized": 0}
    assert summary["sources"] == ["list"] and summary["rewrite_rounds"] == [0, 1]
    for category, count in Counter(map(key, records)).items():
        seen = []
        for page in range(1, 100):
            _, data = get(f"{base}/api/samples?key={category}&per_page=3&page={page}")
            assert data["total"] == count and data["pages"] == -(-count // 3)
            seen += [item["id"] for item in data["items"]]
            assert all(item["key"] == category for item in data["items"])
            if page >= data["pages"]:
                break
        assert sorted(seen) == sorted(r["id"] for r in records if key(r) == category)


def test_filters_search_and_a_samples_lineage(made_run, serve):
    run_dir = made_run[0]
    base = serve(run_dir)
    records = {r["id"]: r for r in exported(run_dir)}
    _, found = get(f"{base}/api/samples?q=ALERT(")
    assert [item["question"] for item in found["items"]] == [
        "Q90 <script>alert('x')</script> & <b>bold</b> [learnable]"]
    _, rewrites = get(f"{base}/api/samples?round=1&per_page=500")
    assert rewrites["total"] == sum(r["round"] == 1 for r in records.values()) > 0
    _, band = get(f"{base}/api/samples?min_pass=0.25&max_pass=0.75&per_page=500")
    assert {i["id"] for i in band["items"]} == {
        i for i, r in records.items()
        if r["pass_rate"] is not None and .25 <= r["pass_rate"] <= .75}

    child = next(r for r in records.values() if r["direction"] == "harder")
    status, data = get(f"{base}/api/sample/{child['id']}")
    assert status == 200
    assert Sample.from_dict(data["sample"]) == Sample.from_dict(child)
    parent = records[child["parent_id"]]
    assert [(v["id"], v["key"]) for v in data["chain"]] == [
        (parent["id"], "too_easy"), (child["id"], "learnable")]
    assert data["file"].startswith("rounds/round-") and data["superseded"] is False


def test_the_server_is_read_only_and_says_what_is_wrong(made_run, serve):
    base = serve(made_run[0])
    assert get(f"{base}/api/sample/0000000000000000") == (404, {"error": "no such sample"})
    assert get(f"{base}/api/nothing")[0] == 404
    assert get(f"{base}/api/samples", method="POST") == (405, {"error": "read-only: GET only"})
    status, data = get(f"{base}/api/samples?page=two")
    assert status == 400 and "two" in data["error"]
    with urllib.request.urlopen(f"{base}/", timeout=10) as response:
        page = response.read().decode()
    assert "<title>sdg view</title>" in page
    assert "http://" not in page and "https://" not in page  # nothing from a network
    rebound = urllib.request.Request(f"{base}/api/summary", headers={"Host": "evil.test"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(rebound, timeout=10)
    assert refused.value.code == 403


def test_rounds_finished_later_show_up(run_dir, serve, monkeypatch):
    monkeypatch.setattr(server_module, "REFRESH_SECONDS", 0.0)
    metas = sorted((run_dir / "rounds").glob("round-*.json"))
    held = {meta: meta.read_bytes() for meta in metas[1:]}
    for meta in held:
        meta.unlink()
    base = serve(run_dir)
    first = len((run_dir / "rounds" / "round-00000.jsonl").read_text().splitlines())
    assert get(f"{base}/api/samples")[1]["total"] == first
    assert get(f"{base}/api/summary")[1]["finished"] is False
    for meta, data in held.items():
        meta.write_bytes(data)
    assert get(f"{base}/api/samples")[1]["total"] == len(exported(run_dir))


def write_round(run_dir: Path, number: int, samples: list[Sample]) -> None:
    rounds = run_dir / "rounds"
    rounds.mkdir(parents=True, exist_ok=True)
    (rounds / f"round-{number:05d}.jsonl").write_text("".join(s.to_json() + "\n"
                                                              for s in samples))
    (rounds / f"round-{number:05d}.json").write_text(json.dumps(
        {"round": number, "samples": len(samples), "spent": {"requests": 0, "tokens": 0}}))


def test_a_retried_chain_supersedes_the_old_one(tmp_path):
    """A resumed run retries a sample whose chain ended in a transient drop: its new chain,
    in a later round, replaces the old one, as in the run's own export."""
    source = Source("list", locator={"index": 0})
    first = Sample(task="list", question="Q1", source=source)
    dropped = first.drop("solve: student failed: timeout", transient=True)
    other = Sample(task="list", question="Q2", source=source, pass_rate=1.0,
                   category="too_easy")
    harder = other.rewrite("Q2 harder", "harder")
    write_round(tmp_path, 0, [dropped, other, harder])
    index = SampleIndex(RunFiles(tmp_path))
    assert index.counts()["dropped"] == 1
    assert [e.id for e in index.chain(index.get(harder.id))] == [other.id, harder.id]

    retried = Sample(task="list", question="Q1", source=source, pass_rate=0.5,
                     category="learnable")
    write_round(tmp_path, 1, [retried])
    assert index.refresh() is True
    assert index.counts() == {"learnable": 1, "too_easy": 1, "too_hard": 0, "dropped": 0,
                              "uncategorized": 1}
    assert index.get(first.id).key == "learnable"
    total, entries = index.query(Query(key="learnable"))
    assert total == 1 and index.record(entries[0])["pass_rate"] == 0.5
    assert index.refresh() is False


def test_sdg_view_serves_until_interrupted(made_run):
    sdg = str(Path(sys.executable).with_name("sdg"))
    with subprocess.Popen([sdg, "view", str(made_run[0])], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline()
            assert line.startswith("sdg view: http://127.0.0.1:"), line + process.stderr.read()
            url = line.split()[2]
            assert get(f"{url}api/summary")[0] == 200
        finally:
            process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0

