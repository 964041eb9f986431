"""Run every benchmark under bench/, each in its own process, and print one combined table.

    python bench/run_all.py [--quick] [--only peers,client] [--skip faults]

Each benchmark module (every ``bench/*.py`` but this one and ``common.py``) is run as
``python bench/NAME.py --json bench/results/NAME.json [--quick]`` with its output in
``bench/results/NAME.log``. A benchmark that fails is reported and the others still run.
``bench/results/summary.json`` records the machine (cores, platform, Python), package
versions (sdg's and the peers') and each benchmark's status. ``make bench`` runs this;
``make test`` never does.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from common import BENCH, RESULTS, machine, print_table, versions

ORDER = ("client", "peers", "ingest", "retrieval", "voters", "pipeline_scale", "faults",
         "adaptive", "pipeline_latency", "viewer")
NOT_BENCHES = {"run_all", "common"}
# Libraries whose version moves a number in some benchmark.
LIBRARIES = ("sdgcore", "aiohttp", "litellm", "torch", "sentence-transformers", "tantivy",
             "rank-bm25", "pymupdf", "llama-cpp-python", "sympy")


def discover() -> list[str]:
    """The benchmark modules present, in the documented order, then any others by name."""
    present = {p.stem for p in BENCH.glob("*.py")} - NOT_BENCHES
    return [n for n in ORDER if n in present] + sorted(present - set(ORDER))


def run_bench(name: str, quick: bool, timeout: float, results: Path) -> dict[str, Any]:
    """Run one benchmark; what happened (status, seconds, the results file or the error)."""
    out, log = results / f"{name}.json", results / f"{name}.log"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(BENCH / f"{name}.py"), "--json", str(out)]
    if quick:
        cmd.append("--quick")
    print(f"bench: {name} ...", end=" ", flush=True)
    started = time.perf_counter()
    with log.open("w") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=BENCH.parent,
                                start_new_session=True)
        try:
            code: int | str = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the benchmark and whatever it started
            proc.wait()
            code = f"timed out after {timeout:.0f} s"
    took = time.perf_counter() - started
    status: dict[str, Any] = {"name": name, "seconds": round(took, 1), "log": str(log)}
    if code == 0 and out.exists():
        print(f"ok ({took:.0f} s)", flush=True)
        return {**status, "status": "ok", "json": str(out)}
    tail = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()][-1:]
    why = code if isinstance(code, str) else (
        f"exit {code}" if code else f"no results file at {out}")
    error = f"{why}: {tail[0][:300]}" if tail else why
    print(f"FAILED ({error})", flush=True)
    return {**status, "status": "failed", "error": error}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def headline(data: dict[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    """A benchmark's headline table: its own ``table`` when it gives one, else its ``rows``'
    plain values, else its top-level plain values."""
    title = str(data.get("benchmark", ""))
    if isinstance(data.get("table"), dict):
        table = data["table"]
        return table.get("title", title), list(table["columns"]), table["rows"]
    plain = (str, int, float, bool, type(None))
    rows = [r for r in data.get("rows", []) if isinstance(r, dict)]
    if rows:
        columns: list[str] = []
        for r in rows:
            columns += [k for k, v in r.items() if isinstance(v, plain) and k not in columns]
        columns = columns[:10]
        return title, columns, [[_cell(r.get(c)) for c in columns] for r in rows]
    items = [(k, v) for k, v in data.items() if isinstance(v, plain)]
    return title, ["key", "value"], [[k, _cell(v)] for k, v in items]


def peer_versions(results: Path) -> dict[str, Any]:
    """The peers' versions, as the peers benchmark recorded them."""
    try:
        return json.loads((results / "peers.json").read_text()).get("peer_versions", {})
    except (OSError, ValueError):
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark's --quick run")
    parser.add_argument("--only", default="", help="comma-separated benchmarks to run")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results go")
    args = parser.parse_args(argv)
    names = discover()
    only = [n for n in args.only.split(",") if n]
    skip = {n for n in args.skip.split(",") if n}
    unknown = sorted((set(only) | skip) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; present: {', '.join(names)}")
    names = [n for n in names if (not only or n in only) and n not in skip]
    args.results.mkdir(parents=True, exist_ok=True)
    statuses = [run_bench(n, args.quick, args.timeout, args.results) for n in names]
    plugins = sorted(d.metadata["Name"] for d in metadata.distributions()
                     if (d.metadata["Name"] or "").startswith("sdg-"))
    summary = {"machine": machine(), "quick": args.quick,
               "versions": versions(LIBRARIES + tuple(plugins)),
               "peers": peer_versions(args.results), "benchmarks": statuses}
    (args.results / "summary.json").write_text(json.dumps(summary, indent=2))
    print()
    for status in statuses:
        if status["status"] != "ok":
            print(f"== {status['name']}: FAILED: {status['error']} (log: {status['log']})\n")
            continue
        try:
            title, columns, rows = headline(json.loads(Path(status["json"]).read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"== {status['name']}: unreadable results {status['json']}: {exc}\n")
            continue
        named = title if title.startswith(status["name"]) else f"{status['name']}: {title}"
        print_table(named, columns, rows)
        print()
    cores = summary["machine"]["cores"]
    failed = [s["name"] for s in statuses if s["status"] != "ok"]
    print(f"{len(statuses) - len(failed)} benchmark(s) ok, {len(failed)} failed "
          f"({', '.join(failed) or 'none'}); {cores} cores; "
          f"results in {args.results}, summary in {args.results / 'summary.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
