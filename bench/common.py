"""What the benchmarks share: the fake server in its own process, measuring a child process,
machine facts and versions, the results JSON and the table.

Every benchmark takes ``--json PATH`` (where its results go; default
``bench/results/<name>-<timestamp>.json``) and ``--quick`` (a small run that proves it works),
and writes one JSON object: ``benchmark``, ``args``, ``machine``, ``versions``, ``rows`` (one
dict per measured thing) and ``table`` (``title``, ``columns``, ``rows`` of strings: the
headline numbers ``bench/run_all.py`` prints).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


class FakeServer:
    """``python -m sdgcore.testing.server`` in its own process (so its CPU is not the
    client's), answering every chat request with ``ok`` after ``latency`` seconds."""

    def __init__(self, latency: float, python: str = sys.executable) -> None:
        self.proc = subprocess.Popen(
            [python, "-m", "sdgcore.testing.server", "--latency", str(latency)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.close()
            raise RuntimeError(f"the fake server did not start (printed {self.url!r})")

    def _say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stats(self) -> dict[str, int]:
        """``{"requests": N, "completed": N}`` since the last :meth:`reset`: every chat
        request received, and those answered with a full 200 completion."""
        self._say("stats")
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def reset(self) -> None:
        """Forget the requests counted so far."""
        self._say("reset")

    def close(self) -> None:
        """Stop the server (closing its standard input ends it)."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and all its descendants now (Linux /proc; 0 elsewhere)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        parents[int(entry.name)] = int(fields[1])
        rss[int(entry.name)] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def run_child(cmd: Sequence[str], *, env: dict[str, str] | None = None,
              timeout: float = 600, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``cmd`` and measure it from outside: ``wall_s``, ``cpu_s`` (user + system of the
    child and the descendants it waited for, from ``wait4``), ``max_rss_mb`` (the child's
    ``ru_maxrss``: its largest single process) and ``tree_rss_mb`` (the peak of the whole
    process tree's resident memory, sampled every 0.1 s). Also ``returncode``, ``timed_out``
    and the ``stdout``/``stderr`` text."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        wall0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        tree_peak, timed_out = 0, False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - wall0 > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            tree_peak = max(tree_peak, _tree_rss_bytes(proc.pid))
            time.sleep(0.1)
        wall = time.perf_counter() - wall0
        proc.returncode = os.waitstatus_to_exitcode(status)
        try:  # what the child left running (worker processes) does not outlive it
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out.seek(0)
        err.seek(0)
        max_rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
        return {"returncode": proc.returncode, "timed_out": timed_out, "wall_s": wall,
                "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_mb": max_rss_mb,
                "tree_rss_mb": max(tree_peak / 2**20, max_rss_mb),
                "stdout": out.read(), "stderr": err.read()}


def machine() -> dict[str, Any]:
    """The facts a result depends on: cores, platform, Python, when."""
    return {"cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(),
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def versions(dists: Iterable[str]) -> dict[str, str | None]:
    """Installed versions of ``dists`` in this interpreter (None where absent)."""
    found: dict[str, str | None] = {}
    for dist in dists:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


def add_output_args(parser: argparse.ArgumentParser) -> None:
    """``--json PATH`` and ``--quick``, which every benchmark takes."""
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="write the results here (default: bench/results/NAME-TIME.json)")
    parser.add_argument("--quick", action="store_true",
                        help="a small, fast run that proves the benchmark works")


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print one table (first column left-aligned, the rest right-aligned)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def write_results(name: str, path: Path | None, *, args: argparse.Namespace,
                  rows: list[dict[str, Any]], title: str, columns: Sequence[str],
                  table: Sequence[Sequence[str]], dists: Iterable[str] = ("sdgcore", "aiohttp"),
                  **extra: Any) -> Path:
    """Write the results JSON (see the module docstring) and return where it went."""
    if path is None:
        path = RESULTS / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name,
               "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
               "machine": machine(), "versions": versions(dists), **extra, "rows": rows,
               "table": {"title": title, "columns": list(columns),
                         "rows": [list(r) for r in table]}}
    path.write_text(json.dumps(payload, indent=2))
    return path
