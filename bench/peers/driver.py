"""What every peer driver shares (standard library only: it runs inside each peer's venv).

A driver sends N chat requests at concurrency C to ``--base-url`` through one client library,
then prints one line ``RESULT {json}`` with how many came back with content and the wall and
CPU time of the workload alone (imports and set-up excluded; CPU includes reaped child
processes). ``bench/peers.py`` measures the whole process from outside as well.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Callable


def parse_args(description: str) -> argparse.Namespace:
    """The arguments every driver takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, required=True, help="requests to send")
    parser.add_argument("--c", type=int, required=True, help="requests in flight at once")
    parser.add_argument("--base-url", required=True, help="the server's api_base (…/v1)")
    parser.add_argument("--workdir", required=True,
                        help="an empty folder for the client's cache and files")
    return parser.parse_args()


def prompts(n: int, tag: str) -> list[str]:
    """N distinct prompts, so that no client can answer one from another."""
    return [f"{tag} question {i}" for i in range(n)]


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def measure(workload: Callable[[], int], **extra: object) -> None:
    """Run ``workload`` (returns how many replies had content) and print the RESULT line."""
    setup_cpu = _cpu_s()
    wall0 = time.perf_counter()
    ok = workload()
    wall = time.perf_counter() - wall0
    result = {"ok": ok, "wall_s": wall, "cpu_s": _cpu_s() - setup_cpu,
              "setup_cpu_s": setup_cpu, **extra}
    print("RESULT " + json.dumps(result), flush=True)
