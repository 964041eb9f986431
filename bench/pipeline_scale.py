"""Pipeline scale: the whole pipeline for 1k, 5k and 20k samples on a zero-latency server.

Each size is one ``sdg run`` in a subprocess (the ``list`` task over N distinct questions,
exact voting with k=5, 4 student attempts, one difficulty-rewrite round; the scripted student
mixes learnable, too easy, too hard and dropped samples) against the scripted server of
:mod:`sdgcore.testing.world` in a process of its own. Measured per size: wall time per
sample and the peak RSS of the run process (its ``ru_maxrss``); memory must stay flat as N
grows, so the table ends with the RSS ratio of the largest size to the smallest (flat ~1.0).

    python bench/pipeline_scale.py [--sizes 1000,5000,20000] [--quick] [--json PATH]

``--quick`` runs 200 and 1000 samples.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is a folder of scripts)

from sdgcore.testing import world  # noqa: E402


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "sdgcore.testing.world"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def run_size(url: str, tmp: Path, n: int, concurrency: int) -> dict:
    run_dir = tmp / f"run-{n}"
    config = world.write_config(
        tmp / f"scale-{n}.yaml", url, run_dir, world.questions(n),
        limits={"concurrency": 256},
        run={"dir": str(run_dir), "concurrency": concurrency})
    done = common.run_child(world.sdg_command(config), env=world.sdg_env(), timeout=3600)
    if done["returncode"] != 0:
        raise SystemExit(f"sdg run for N={n} failed ({done['returncode']}):\n{done['stderr']}")
    summary = json.loads((run_dir / "summary.json").read_text())
    requests = sum(m["requests"] for m in summary["models"].values())
    wall = done["wall_s"]
    return {"n": n, "wall_s": round(wall, 3), "ms_per_sample": round(1000 * wall / n, 3),
            "cpu_s": round(done["cpu_s"], 3), "peak_rss_mb": round(done["max_rss_mb"], 1),
            "requests": requests, "counts": summary["counts"], "checkpoints": summary["rounds"],
            "seconds": summary["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--concurrency", type=int, default=64, help="run.concurrency")
    common.add_output_args(parser)
    args = parser.parse_args()
    sizes = [200, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    server, url = start_server()
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="sdg-scale-") as tmp:
            for n in sizes:
                rows.append(run_size(url, Path(tmp), n, args.concurrency))
                print(f"N={n}: {rows[-1]['wall_s']:.1f}s, "
                      f"{rows[-1]['peak_rss_mb']:.0f} MB", file=sys.stderr)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    base = rows[0]
    for r in rows:
        r["rss_ratio"] = round(r["peak_rss_mb"] / base["peak_rss_mb"], 3)
    growth = rows[-1]["rss_ratio"]
    title = (f"pipeline scale: zero-latency scripted server, concurrency {args.concurrency}; "
             f"RSS {rows[-1]['n']} vs {base['n']} samples: {growth:.2f}x (flat = ~1.0)")
    columns = ("samples", "requests", "checkpoints", "wall s", "ms/sample", "CPU s", "peak RSS MB",
               "RSS vs first", "learnable/easy/hard/dropped")
    table = [[str(r["n"]), str(r["requests"]), str(r["checkpoints"]), f"{r['wall_s']:.1f}",
              f"{r['ms_per_sample']:.2f}", f"{r['cpu_s']:.1f}", f"{r['peak_rss_mb']:.0f}",
              f"{r['rss_ratio']:.2f}", "/".join(str(v) for v in r["counts"].values())]
             for r in rows]
    common.print_table(title, columns, table)
    out = common.write_results("pipeline_scale", args.json, args=args, rows=rows, title=title,
                               columns=columns, table=table, rss_growth=growth)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
