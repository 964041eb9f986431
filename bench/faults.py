"""Fault drills: runs killed with SIGKILL and resumed, and runs against a faulty server.

(a) SIGKILL: an uninterrupted reference run, then ``--kills`` runs each killed at a random
moment (seeded: after a random number of the reference's requests have arrived) and resumed
to completion. Each final dataset must equal the reference's (as sets of JSONL lines), and no
reply the killed run had committed to its request cache may be paid for again; requests in
flight at the kill (and failed requests, never cached) may be re-sent and are counted apart.

(b) Faults: runs whose server fails 5 %, 20 % and 50 % of requests with every fault kind (429
with Retry-After, 5xx, timeouts, malformed and truncated replies, dropped connections). Every
question must end in a dataset or in dropped.jsonl with a reason, the run must end (a run past
``--hang-after`` seconds is killed and counted as a hang), and no logical request may take more
server requests than its retries (and re-asks) allow.

    python bench/faults.py [--quick] [--json PATH]

``--quick``: 3 kills of 30-question runs, fault runs of 40 questions.

``sdg run`` runs in a subprocess; the scripted server (:mod:`sdgcore.testing.world`) runs in
this process, whose log says what was sent.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is a folder of scripts)

from sdgcore.testing import drills, world  # noqa: E402
from sdgcore.testing.server import FakeOpenAIServer  # noqa: E402

RETRIES, REASK = 3, 1
LIMITS = {"retries": RETRIES, "reask": REASK, "backoff": 0.01, "max_backoff": 0.2,
          "timeout": 1.0}


def kill_drill(tmp: Path, kills: int, n: int, seed: int) -> dict:
    items = world.questions(n)
    rng = random.Random(seed)
    target = {"learnable": 10 * n, "batch": 16}
    rows = []
    with FakeOpenAIServer(world.script(), latency=0.005) as server:
        ref_dir = tmp / "reference"
        config = world.write_config(tmp / "reference.yaml", server.url, ref_dir, items,
                                       target=target)
        done = subprocess.run(world.sdg_command(config), env=world.sdg_env(),
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"the reference run failed:\n{done.stderr}")
        total = server.count()
        reference = drills.datasets(ref_dir)
        for i in range(kills):
            run_dir = tmp / f"killed-{i}"
            config = world.write_config(tmp / f"killed-{i}.yaml", server.url, run_dir, items,
                                           target=target)
            drill = drills.kill_and_resume(server, config, run_dir, rng.randint(1, total),
                                           timeout=600)
            row = attrs.asdict(drill)
            row.pop("stderr")
            row["equal"] = drill.exit_code == 0 and drills.datasets(run_dir) == reference
            row["sent"] = drill.before + drill.after
            rows.append(row)
            print(f"kill {i + 1}/{kills}: after {drill.kill_after} requests, "
                  f"equal={row['equal']}, paid twice={drill.paid_twice}", file=sys.stderr)
    return {"questions": n, "reference_requests": total, "runs": rows,
            "all_equal": all(r["equal"] for r in rows),
            "paid_twice": sum(r["paid_twice"] for r in rows),
            "in_flight": sum(r["in_flight"] for r in rows),
            "failed_again": sum(r["failed_again"] for r in rows)}


def fault_drill(tmp: Path, rate: float, n: int, seed: int, hang_after: float) -> dict:
    items = world.questions(n)
    with FakeOpenAIServer(world.script(rate, seed=seed)) as server:
        run_dir = tmp / f"faults-{rate:g}"
        config = world.write_config(tmp / f"faults-{rate:g}.yaml", server.url, run_dir,
                                       items, limits=LIMITS,
                                       target={"learnable": 10 * n, "batch": 64},
                                       run={"dir": str(run_dir), "concurrency": 16})
        drill = drills.run_with_faults(server, config, run_dir, items, retries=RETRIES,
                                       reask=REASK, timeout=hang_after)
    row = {"rate": rate, **attrs.asdict(drill)}
    row["ok"] = (not drill.hung and drill.exit_code == 0 and not drill.unaccounted
                 and not drill.duplicated and not drill.no_reason and not drill.orphans
                 and not drill.over_bound)
    if not row["ok"]:
        print(f"rate {rate:g}: FAILED\n{drill.stderr}", file=sys.stderr)
    row.pop("stderr")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--questions", type=int, default=100, help="questions per kill run")
    parser.add_argument("--fault-questions", type=int, default=200)
    parser.add_argument("--rates", default="0.05,0.2,0.5")
    parser.add_argument("--hang-after", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=1)
    common.add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.kills, args.questions, args.fault_questions = 3, 30, 40
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sdg-faults-") as tmp:
        kills = kill_drill(Path(tmp), args.kills, args.questions, args.seed)
        faults = [fault_drill(Path(tmp), float(rate), args.fault_questions, args.seed,
                              args.hang_after) for rate in args.rates.split(",")]
    common.print_table(
        f"SIGKILL drill: {args.kills} kills, {args.questions} questions, "
        f"reference {kills['reference_requests']} requests",
        ("kill after", "sent (before+after)", "committed at kill", "paid twice",
         "in flight at kill", "failed, re-sent", "datasets equal"),
        [[str(r["kill_after"]), f"{r['sent']} ({r['before']}+{r['after']})",
          str(r["committed"]), str(r["paid_twice"]), str(r["in_flight"]),
          str(r["failed_again"]), "yes" if r["equal"] else "NO"] for r in kills["runs"]])
    common.print_table(
        f"fault injection: {args.fault_questions} questions, retries {RETRIES}, "
        f"re-asks {REASK}",
        ("rate", "requests", "failed", "max calls", "over bound", "hung",
         "learnable/easy/hard/dropped", "unaccounted", "s", "ok"),
        [[f"{r['rate']:.0%}", str(r["requests"]), str(sum(r["faults"].values())),
          str(r["calls_max"]),
          str(r["over_bound"]), "yes" if r["hung"] else "no",
          "/".join(str(v) for v in r["counts"].values()), str(r["unaccounted"]),
          f"{r['seconds']:.1f}", "yes" if r["ok"] else "NO"] for r in faults])
    for r in faults:
        print(f"failed requests at {r['rate']:.0%}: "
              + ", ".join(f"{k} {v}" for k, v in r["faults"].items()))
        print(f"dropped at {r['rate']:.0%}: " + "; ".join(f"{k} x{v}"
                                                          for k, v in r["reasons"].items()))
    ok = kills["all_equal"] and kills["paid_twice"] == 0 and all(r["ok"] for r in faults)
    title = f"fault drills ({time.perf_counter() - started:.0f}s): {'PASS' if ok else 'FAIL'}"
    columns = ("drill", "runs", "requests", "paid twice / over bound", "in flight at kill",
               "hangs", "unaccounted", "ok")
    table = [[f"SIGKILL + resume, {args.questions} questions", str(args.kills),
              str(sum(r["sent"] for r in kills["runs"])), str(kills["paid_twice"]),
              str(kills["in_flight"]), "0", "0", "yes" if kills["all_equal"] else "NO"]]
    table += [[f"faults {r['rate']:.0%}, {args.fault_questions} questions", "1",
               str(r["requests"]), str(r["over_bound"]), "-", str(int(r["hung"])),
               str(r["unaccounted"]), "yes" if r["ok"] else "NO"] for r in faults]
    common.print_table(title, columns, table)
    out = common.write_results("faults", args.json, args=args, rows=kills["runs"] + faults,
                               title=title, columns=columns, table=table, kills=kills, ok=ok)
    print(f"results: {out}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
