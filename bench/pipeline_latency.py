"""Pipeline under latency: how busy a run keeps its endpoints on each schedule: the stream
(``run.schedule: stream``, the default), rounds that overlap (``schedule: rounds`` with
``run.overlap``) and rounds that each wait for the last (the first behaviour).

The workload: the ``list`` task over scripted questions (learnable, too easy, too hard,
never agreed; each too easy or too hard one rewritten once), exact voting (k=5), 4 student
attempts, against the loopback OpenAI-compatible server with a fixed latency (300 ms by
default), ``run.concurrency`` 64 and every endpoint's concurrency 64. Each condition is a real
``sdg run`` in a subprocess. A sample holds one request at a time, so at most
``run.concurrency`` requests are in flight; the server's log gives the average in flight
(requests x latency / wall time) and its ratio to that limit.

    python bench/pipeline_latency.py [--latency 0.3] [--target 100] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from common import add_output_args, print_table, write_results

from sdgcore.testing import world
from sdgcore.testing.server import FakeOpenAIServer, Script

COLUMNS = ("schedule", "samples", "learnable", "requests", "wall s",
           "requests in flight (avg)", "/ limit", "wall vs waiting rounds")
CONDITIONS = {"rounds, each waits for the last": {"schedule": "rounds", "overlap": False},
              "rounds, overlapping": {"schedule": "rounds", "overlap": True},
              "stream": {"schedule": "stream"}}
CONCURRENCY = 64


def run(tmp: Path, url: str, name: str, target: int, questions: int) -> dict:
    run_dir = tmp / name.replace(",", "").replace(" ", "-")
    limits = {"concurrency": CONCURRENCY, "timeout": 30, "retries": 2, "backoff": 0.01}
    config = world.write_config(tmp / f"{run_dir.name}.yaml", url, run_dir,
                                world.questions(questions), limits=limits,
                                target={"learnable": target},
                                run={"dir": str(run_dir), "concurrency": CONCURRENCY,
                                     **CONDITIONS[name]})
    started = time.perf_counter()
    proc = subprocess.run(world.sdg_command(config), env=world.sdg_env(), capture_output=True,
                          text=True)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"sdg run failed: {proc.stderr[-2000:]}")
    summary = json.loads((run_dir / "summary.json").read_text())
    return {"wall": wall, "summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--target", type=int, default=100)
    parser.add_argument("--questions", type=int, default=2000,
                        help="the task's questions (more than the run needs)")
    add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.target, args.questions = 20, 400
    rows, table = [], []
    with FakeOpenAIServer(Script.respond(world.answer), latency=args.latency) as server, \
            tempfile.TemporaryDirectory() as tmp:
        for name in CONDITIONS:
            before = len(server.requests)
            got = run(Path(tmp), server.url, name, args.target, args.questions)
            log = server.requests[before:]
            span = (log[-1].received_at + args.latency) - log[0].received_at
            in_flight = len(log) * args.latency / span
            rows.append({"schedule": name, "requests": len(log), "wall": got["wall"],
                         "span": span, "in_flight": in_flight,
                         "ratio": in_flight / CONCURRENCY,
                         "counts": got["summary"]["counts"],
                         "generated": got["summary"]["generated"]})
    base = rows[0]
    for row in rows:
        table.append([row["schedule"], str(row["generated"]),
                      str(row["counts"].get("learnable", 0)), str(row["requests"]),
                      f"{row['span']:.1f}", f"{row['in_flight']:.1f}",
                      f"{row['ratio']:.2f}", f"{row['span'] / base['span']:.2f}x"])
    title = (f"pipeline under {args.latency * 1000:.0f} ms latency: target {args.target} "
             f"learnable, run.concurrency {CONCURRENCY}")
    print_table(title, COLUMNS, table)
    path = write_results("pipeline_latency", args.json, args=args, rows=rows, title=title,
                         columns=COLUMNS, table=table)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
