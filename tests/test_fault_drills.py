"""Fault drills, CI-sized (``bench/faults.py`` runs them at full size).

A run killed with SIGKILL at random moments resumes to the datasets of an uninterrupted run
without paying twice for any reply it had kept; a run against a server that fails 20 % or
50 % of requests with every fault kind ends, accounts for every sample, and keeps its retries
within bounds. ``sdg run`` runs in a subprocess against a loopback server in this process.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from sdgcore.testing import drills, world
from sdgcore.testing.server import FakeOpenAIServer

RETRIES, REASK = 3, 1
FAULT_LIMITS = {"retries": RETRIES, "reask": REASK, "backoff": 0.01, "max_backoff": 0.1,
                "timeout": 0.5}


def reference_run(tmp_path: Path, server: FakeOpenAIServer, items: list[str]) -> Path:
    run_dir = tmp_path / "reference"
    config = world.write_config(tmp_path / "reference.yaml", server.url, run_dir, items,
                                 target={"learnable": 1000, "batch": 8})
    done = subprocess.run(world.sdg_command(config), env=world.sdg_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return run_dir


def test_random_sigkills_resume_to_the_same_datasets_without_paying_twice(tmp_path):
    items = world.questions(30)
    rng = random.Random(7)
    with FakeOpenAIServer(world.script(), latency=0.01) as server:
        reference = reference_run(tmp_path, server, items)
        total = server.count()
        seen = []
        for i in range(3):
            run_dir = tmp_path / f"killed-{i}"
            config = world.write_config(tmp_path / f"killed-{i}.yaml", server.url, run_dir,
                                         items, target={"learnable": 1000, "batch": 8})
            drill = drills.kill_and_resume(server, config, run_dir, rng.randint(1, total))
            assert drill.exit_code == 0, drill.stderr
            assert drills.datasets(run_dir) == drills.datasets(reference), drill
            assert drill.paid_twice == 0, drill
            assert drill.committed > 0 and drill.after < total, drill  # the kill kept work
            seen.append(drill)
    assert len({d.kill_after for d in seen}) == 3


def test_the_kill_drill_notices_replies_paid_twice(tmp_path):
    """Control: with the request cache deleted before the resume, replies kept before the
    kill are paid again, and the drill counts them."""
    items = world.questions(10)
    with FakeOpenAIServer(world.script(), latency=0.01) as server:
        run_dir = tmp_path / "run"
        config = world.write_config(tmp_path / "run.yaml", server.url, run_dir, items,
                                     target={"learnable": 1000, "batch": 4})
        cache = run_dir / "requests.sqlite"

        def lose_the_cache() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{cache}{suffix}").unlink(missing_ok=True)

        drill = drills.kill_and_resume(server, config, run_dir, 12, before_resume=lose_the_cache)
    assert drill.exit_code == 0, drill.stderr
    assert drill.committed > 0 and drill.paid_twice > 0, drill


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_faults_end_with_every_sample_accounted_for_and_bounded_retries(tmp_path, rate):
    items = world.questions(25)
    with FakeOpenAIServer(world.script(rate, seed=11)) as server:
        run_dir = tmp_path / "run"
        config = world.write_config(tmp_path / "run.yaml", server.url, run_dir, items,
                                     limits=FAULT_LIMITS, run={"dir": str(run_dir),
                                                               "concurrency": 8})
        drill = drills.run_with_faults(server, config, run_dir, items, retries=RETRIES,
                                       reask=REASK, timeout=90)
    assert not drill.hung and drill.exit_code == 0, drill.stderr
    assert drill.unaccounted == 0 and drill.duplicated == 0 and drill.orphans == 0, drill
    assert drill.no_reason == 0, drill
    assert drill.over_bound == 0 and drill.calls_max <= 1 + RETRIES + REASK, drill
    assert sum(drill.faults.values()) > 0.5 * rate * drill.requests, drill
    assert set(drill.faults) >= {"rate_limited", "server_error", "timeout", "malformed",
                                 "truncated", "disconnect"}, drill
    # the "broken" questions (every fifth) are refused: dropped, with the teacher's reason
    assert drill.counts["dropped"] >= len(items) // 5, drill
    assert sum(drill.counts.values()) >= len(items)


def test_an_export_that_fails_midway_leaves_the_previous_datasets_whole(tmp_path):
    from sdgcore.pipeline.export import CATEGORIES, export
    from sdgcore.records import Sample

    samples = [Sample(task="list", question=f"Q{i}", category="too_easy", pass_rate=1.0)
               for i in range(3)]
    export(samples, tmp_path, ["jsonl"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def failing():
        yield Sample(task="list", question="new", category="learnable", pass_rate=0.5)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        export(failing(), tmp_path, ["jsonl"])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert sorted(before) == sorted(f"{c}.jsonl" for c in CATEGORIES)
    assert len(before["too_easy.jsonl"].splitlines()) == 3
