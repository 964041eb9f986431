"""Throughput against peers: the same N chat requests at concurrency C against one loopback
server with fixed latency L, through a bare aiohttp loop, sdg's model layer, Bespoke Labs
Curator and distilabel, each a separate process (the peers in their own venvs under
``bench/.venvs/``, installed from the registry on first use and reused after).

    python bench/peers.py --n 2000 --c 256 --latency 0.5

Per client: wall time of the workload / ideal (N*L/C), client CPU ms per request (workload
only; imports and start-up are the "start CPU s" column), peak resident memory of the whole
process tree, and each as a ratio to sdg. A peer that cannot be installed or run says why in
its row; the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs
from common import BENCH, FakeServer, add_output_args, print_table, run_child, write_results

DRIVERS = BENCH / "peers"
VENVS = BENCH / ".venvs"


@attrs.frozen
class Peer:
    """One client: its driver script and, for a peer, the venv it runs in."""

    name: str
    driver: str
    requirements: tuple[str, ...] = ()  # pip install arguments, pinned; empty: sdg's venv
    dist: str | None = None  # the distribution whose version the table shows
    also: tuple[str, ...] = ()  # libraries under it whose versions the results record too

    @property
    def venv(self) -> Path | None:
        return VENVS / self.name if self.requirements else None

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python") if self.venv else sys.executable


PEERS = {p.name: p for p in (
    Peer("bare", "drive_bare.py", dist="aiohttp"),
    Peer("sdg", "drive_sdg.py", dist="sdgcore", also=("aiohttp",)),
    Peer("curator", "drive_curator.py", ("bespokelabs-curator==0.1.31",), "bespokelabs-curator",
         ("litellm", "aiohttp", "tiktoken")),
    Peer("distilabel", "drive_distilabel.py", ("distilabel[openai]==1.5.3", "requests"),
         "distilabel", ("openai", "httpx")),
)}


def installed_version(python: str, dist: str) -> str | None:
    """``dist``'s version in the interpreter ``python``, or None."""
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv(peer: Peer) -> str | None:
    """Create and fill the peer's venv unless it already holds the pinned version; returns
    why it cannot be used, or None."""
    assert peer.venv is not None and peer.dist is not None
    pinned = next((r.split("==")[1] for r in peer.requirements if "==" in r), None)
    if Path(peer.python).exists() and installed_version(peer.python, peer.dist) == pinned:
        return None
    print(f"peers: installing {' '.join(peer.requirements)} into {peer.venv} ...", flush=True)
    steps = [[sys.executable, "-m", "venv", "--clear", str(peer.venv)],
             [peer.python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
              *peer.requirements]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            lines = [ln for ln in (done.stderr + done.stdout).splitlines()
                     if ln.strip() and not ln.startswith("WARNING:")]
            return f"install failed: {lines[-1] if lines else done.returncode}"
    return None


def peer_env(peer: Peer, workdir: Path) -> dict[str, str]:
    """The environment a driver runs in: offline, no telemetry, caches in ``workdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TELEMETRY_ENABLED="false",
               HF_HOME=str(workdir / "hf"), XDG_CACHE_HOME=str(workdir / "xdg"))
    if peer.name == "curator":
        env["CURATOR_CACHE_DIR"] = str(workdir / "curator")
        env["TIKTOKEN_CACHE_DIR"] = tiktoken_dir(peer.python)
    if peer.name == "distilabel":
        env["DISTILABEL_CACHE_DIR"] = str(workdir / "distilabel")
    return env


def tiktoken_dir(python: str) -> str:
    """The tokenizer files litellm ships (tiktoken cannot download them offline)."""
    code = ("import importlib.util, pathlib; spec = importlib.util.find_spec('litellm'); "
            "print(pathlib.Path(spec.origin).parent / 'litellm_core_utils' / 'tokenizers')")
    return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()


def run_peer(peer: Peer, server: FakeServer, args: argparse.Namespace) -> dict[str, Any]:
    """Run one driver against ``server``; the row of what it measured, or of why not."""
    row: dict[str, Any] = {"client": peer.name}
    if peer.venv is not None:
        problem = ensure_venv(peer)
        if problem:
            return {**row, "error": problem}
    row["version"] = installed_version(peer.python, peer.dist) if peer.dist else None
    row["libraries"] = {dist: installed_version(peer.python, dist) for dist in peer.also}
    server.reset()
    ideal = args.n * args.latency / args.c
    with tempfile.TemporaryDirectory(prefix=f"bench-{peer.name}-") as tmp:
        cmd = [peer.python, str(DRIVERS / peer.driver), "--n", str(args.n), "--c", str(args.c),
               "--base-url", server.url, "--workdir", tmp]
        done = run_child(cmd, env=peer_env(peer, Path(tmp)), timeout=max(120, 30 * ideal))
    seen = server.stats()
    result = next((json.loads(line[len("RESULT "):]) for line in done["stdout"].splitlines()
                   if line.startswith("RESULT ")), None)
    row.update(sent=seen["requests"], answered=seen["completed"],
               total_wall_s=done["wall_s"], total_cpu_s=done["cpu_s"],
               max_rss_mb=done["max_rss_mb"], peak_rss_mb=done["tree_rss_mb"])
    if result is None or done["returncode"] != 0:
        why = "timed out" if done["timed_out"] else f"exit {done['returncode']}"
        tail = [ln for ln in done["stderr"].splitlines() if ln.strip()][-1:]
        return {**row, "error": f"{why}: {tail[0][:200] if tail else 'no result line'}"}
    row.update(result)
    row["wall_over_ideal"] = result["wall_s"] / ideal
    row["cpu_ms_per_request"] = 1000 * result["cpu_s"] / args.n
    if result["ok"] != args.n or seen["completed"] != args.n:
        row["error"] = (f"{result['ok']} of {args.n} replies had content; the server "
                        f"answered {seen['completed']} of {seen['requests']} requests")
    return row


def table_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    """The headline table: one line per client, ratios to sdg."""
    base = next((r for r in rows if r["client"] == "sdg" and "wall_s" in r), None)
    lines = []
    for r in rows:
        if "wall_s" not in r:
            lines.append([r["client"], r.get("version") or "-", r["error"]] + ["-"] * 7)
            continue

        def vs(key: str, r: dict[str, Any] = r) -> str:
            return f"{r[key] / base[key]:.2f}" if base and base[key] else "-"

        lines.append([r["client"], r.get("version") or "-",
                      f"{r['answered']}/{r['sent']}" + (" !" if r.get("error") else ""),
                      f"{r['wall_over_ideal']:.3f}", f"{r['cpu_ms_per_request']:.3f}",
                      f"{r['setup_cpu_s']:.2f}", f"{r['peak_rss_mb']:.0f}",
                      vs("wall_s"), vs("cpu_s"), vs("peak_rss_mb")])
    return lines


COLUMNS = ("client", "version", "answered/sent", "wall / ideal", "CPU ms/req", "start CPU s",
           "peak RSS MB", "wall vs sdg", "CPU vs sdg", "RSS vs sdg")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="requests per client")
    parser.add_argument("--c", type=int, default=256, help="concurrency")
    parser.add_argument("--latency", type=float, default=0.5, help="server latency, seconds")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated subset of {','.join(PEERS)}")
    add_output_args(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.c, args.latency = min(args.n, 400), min(args.c, 64), min(args.latency, 0.2)
    chosen = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(PEERS))
    if unknown:
        parser.error(f"--peers: unknown {', '.join(unknown)} (choose from {', '.join(PEERS)})")
    ideal = args.n * args.latency / args.c
    with FakeServer(args.latency) as server:
        rows = [run_peer(PEERS[name], server, args) for name in chosen]
    title = (f"peers: N={args.n} C={args.c} L={args.latency}s ideal={ideal:.2f}s "
             f"({os.cpu_count()} cores)")
    table = table_rows(rows)
    print_table(title, COLUMNS, table)
    for r in rows:
        if r.get("error"):
            print(f"{r['client']}: {r['error']}")
    out = write_results("peers", args.json, args=args, rows=rows, title=title,
                        columns=COLUMNS, table=table, ideal_s=ideal,
                        peer_versions={r["client"]: r.get("version") for r in rows})
    print(f"results: {out}")


if __name__ == "__main__":
    main()
