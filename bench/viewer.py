"""``sdg view`` and ``sdg report`` on a large run directory: time to index it, to answer a
page of the JSON API (by category, searched, the last page, one sample), and to write the
report, with the process's peak memory.

    python bench/viewer.py [--n 100000] [--quick] [--json PATH]

The run directory is synthetic (records made with ``sdgcore.Sample``, rounds of 1,000 samples,
every fourth rewritten once); the server is the real one, on a loopback port.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from sdg_report.index import SampleIndex
from sdg_report.report import write_report
from sdg_report.rundir import RunFiles
from sdg_report.server import make_server
from sdgcore import Attempt, Sample, Source, Vote

ROUND = 1000


def make_run(path: Path, n: int) -> None:
    """``n`` samples (generated and rewrites) in round checkpoints under ``path``."""
    rounds = path / "rounds"
    rounds.mkdir(parents=True)
    (path / "sdg-run.json").write_text(json.dumps({"fingerprint": "bench", "versions": {}}))
    made, number = 0, 0
    while made < n:
        lines = []
        for i in range(made, min(made + ROUND, n)):
            correct = i % 5
            sample = Sample(task="bench", question=f"Question {i} about topic {i % 97}?",
                            answer=str(i % 13), reference=f"Because {i}. <answer>{i % 13}"
                            "</answer>", context="Some retrieved passage. " * 20,
                            source=Source("document", f"doc-{i % 50}.pdf",
                                          {"chunks": [f"c{i % 400}"]}),
                            votes=tuple(Vote(f"<answer>{i % 13}</answer>", str(i % 13))
                                        for _ in range(5)), agreement=1.0,
                            attempts=tuple(Attempt("...", str(i % 13), k < correct)
                                           for k in range(4)),
                            pass_rate=correct / 4)
            sample = _categorized(sample)
            lines.append(sample.to_json())
            if i % 4 == 0 and sample.category != "learnable":
                child = _categorized(sample.rewrite(f"Harder question {i}?", "harder"))
                lines.append(child.to_json())
        (rounds / f"round-{number:05d}.jsonl").write_text("\n".join(lines) + "\n")
        (rounds / f"round-{number:05d}.json").write_text(json.dumps(
            {"round": number, "samples": len(lines), "spent": {"requests": 0, "tokens": 0}}))
        made += ROUND
        number += 1


def _categorized(sample: Sample) -> Sample:
    import attrs

    rate = sample.pass_rate if sample.pass_rate is not None else 0.5
    category = "too_hard" if rate <= 0 else "too_easy" if rate >= 1 else "learnable"
    return attrs.evolve(sample, pass_rate=rate, category=category,
                        attempts=sample.attempts or (Attempt("...", "1", True),))


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="generated samples")
    parser.add_argument("--quick", action="store_true", help="10,000 samples")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    n = 10_000 if args.quick else args.n
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        seconds, _ = timed(lambda: make_run(run_dir, n))
        rows.append({"step": f"write {n} samples (setup)", "seconds": round(seconds, 3)})
        seconds, index = timed(lambda: SampleIndex(RunFiles(run_dir)))
        rows.append({"step": f"index {len(index.active)} records", "seconds": round(seconds, 3)})
        server = make_server(index)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        last = -(-index.counts()["learnable"] // 50)
        some = index.active[len(index.active) // 2].id
        for name, url in (("first page", "/api/samples"),
                          ("category page", "/api/samples?key=too_hard&page=3"),
                          ("search (substring of every question)", "/api/samples?q=topic%2042"),
                          ("last page of learnable", f"/api/samples?key=learnable&page={last}"),
                          ("one sample with its chain", f"/api/sample/{some}"),
                          ("summary", "/api/summary")):
            best = min(timed(lambda u=url: get(base + u))[0] for _ in range(5))
            rows.append({"step": f"GET {name}", "seconds": round(best, 4)})
        server.shutdown()
        seconds, _ = timed(lambda: write_report(run_dir))
        rows.append({"step": "write report.html", "seconds": round(seconds, 3),
                     "bytes": (run_dir / "report.html").stat().st_size})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"benchmark": "viewer", "n": n, "peak_rss_mb": round(peak, 1), "rows": rows}
    for row in rows:
        print(f"{row['step']:<50} {row['seconds']:>8} s")
    print(f"peak RSS {peak:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
