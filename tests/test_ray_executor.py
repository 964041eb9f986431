"""The Ray executor (``executor: {type: ray}``) against the scripted loopback server, on a local
Ray started by each ``sdg run`` (two workers).

Each run is a real ``sdg run`` in a subprocess, so its workers are separate processes that
build their plugins, config and endpoints from what the driver sends them.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sdgcore.testing import drills, world
from sdgcore.testing.server import FakeOpenAIServer, Script

pytest.importorskip("ray")

QUESTIONS = world.questions(30)


def sdg_run(tmp_path: Path, server: FakeOpenAIServer, name: str, executor: str, *,
            limits: dict | None = None, **sections) -> tuple[Path, dict]:
    run_dir = tmp_path / name
    config = world.write_config(
        tmp_path / f"{name}.yaml", server.url, run_dir, QUESTIONS, limits=limits,
        **{"target": {"learnable": 6, "batch": 8},
           "run": {"dir": str(run_dir), "concurrency": 6},
           "executor": {"type": executor, "workers": 2}, **sections})
    done = subprocess.run(world.sdg_command(config), env=world.sdg_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return run_dir, json.loads((run_dir / "summary.json").read_text())


def test_ray_makes_what_a_local_run_makes(tmp_path):
    with FakeOpenAIServer(Script.respond(world.answer), latency=0.02) as server:
        local_dir, local = sdg_run(tmp_path, server, "local", "local")
        before = server.count()
        ray_dir, on_ray = sdg_run(tmp_path, server, "ray", "ray")
        sent_by_ray = server.count() - before
    assert drills.datasets(ray_dir) == drills.datasets(local_dir)  # categories and lineage
    assert local["counts"] == on_ray["counts"] and on_ray["counts"]["learnable"] >= 6
    assert on_ray["executor"]["type"] == "ray" and on_ray["executor"]["workers"] == 2
    assert sum(on_ray["executor"]["samples"]) == on_ray["generated"]
    assert all(on_ray["executor"]["samples"]), "both workers processed samples"
    assert sent_by_ray == before  # the same requests, each sent once
    # the workers' accounting reaches the driver's summary
    assert sum(m["requests"] for m in on_ray["models"].values()) == sent_by_ray


def test_one_rate_budget_holds_across_workers(tmp_path):
    """60 requests a minute for the student and the teacher each: a bucket of 10 refilled
    at 1 a second. Two workers with a bucket each would send twice that."""
    limits = {"rpm": 60, "concurrency": 8, "timeout": 30, "retries": 2, "backoff": 0.01}
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        sdg_run(tmp_path, server, "rpm", "ray", limits=limits)
        log = list(server.requests)
    by_model: dict[str, list[float]] = {}
    for request in log:
        by_model.setdefault(request.body["model"], []).append(request.received_at)
    assert len(by_model) == 2
    for model, times in by_model.items():
        times.sort()
        assert len(times) > 12, "the run must outlast the bucket for this to test anything"
        for i, at in enumerate(times):
            allowed = 10 + (at - times[0]) + 1  # the bucket, its refill, clock slack
            assert i + 1 <= allowed, f"{model}: {i + 1} requests by {at - times[0]:.2f}s"


def test_one_concurrency_limit_holds_across_workers(tmp_path):
    limits = {"concurrency": 2, "adaptive": False, "timeout": 30, "retries": 2,
              "backoff": 0.01}
    latency = 0.15
    with FakeOpenAIServer(Script.respond(world.answer), latency=latency) as server:
        sdg_run(tmp_path, server, "concurrency", "ray", limits=limits)
        log = list(server.requests)
    for model in {r.body["model"] for r in log}:
        starts = sorted(r.received_at for r in log if r.body["model"] == model)
        # a request is in flight from its arrival until its reply, latency later
        most = max(sum(1 for other in starts if start - latency + 0.01 < other <= start)
                   for start in starts)
        assert most <= 2, f"{model}: {most} requests in flight with a limit of 2"


def test_a_run_stopped_locally_resumes_on_ray_without_paying_twice(tmp_path):
    with FakeOpenAIServer(Script.respond(world.answer), latency=0.02) as server:
        reference_dir, _ = sdg_run(tmp_path, server, "reference", "local")
        reference = server.count()
        first = server.count()
        run_dir, stopped = sdg_run(tmp_path, server, "resumed", "local",
                                   budget={"samples": 5})
        assert stopped["stopped"] == "the budget of 5 samples is spent"
        paid_first = server.count() - first
        _, resumed = sdg_run(tmp_path, server, "resumed", "ray")
        paid_second = server.count() - first - paid_first
    assert resumed["executor"]["type"] == "ray"
    assert drills.datasets(run_dir) == drills.datasets(reference_dir)
    assert paid_first + paid_second == reference  # nothing paid twice, nothing left out


def test_a_ray_run_killed_midway_resumes_to_the_same_datasets(tmp_path):
    """SIGKILL of the driver while the workers have requests in flight: the resumed run (on
    a new Ray) makes what a local run makes, and no reply received before the kill is paid
    for again."""
    with FakeOpenAIServer(Script.respond(world.answer), latency=0.05) as server:
        reference_dir, _ = sdg_run(tmp_path, server, "reference", "local")
        kill_after = server.count() // 2
        run_dir = tmp_path / "killed"
        config = world.write_config(
            tmp_path / "killed.yaml", server.url, run_dir, QUESTIONS,
            target={"learnable": 6, "batch": 8}, run={"dir": str(run_dir), "concurrency": 6},
            executor={"type": "ray", "workers": 2})
        drill = drills.kill_and_resume(server, config, run_dir, kill_after)
    assert drill.exit_code == 0, drill.stderr
    assert drills.datasets(run_dir) == drills.datasets(reference_dir)
    assert drill.paid_twice == 0


def test_ray_needs_the_stream(tmp_path):
    config = world.write_config(tmp_path / "c.yaml", "http://127.0.0.1:9", tmp_path / "r",
                                QUESTIONS, executor={"type": "ray"},
                                run={"dir": str(tmp_path / "r"), "schedule": "rounds"})
    done = subprocess.run(world.sdg_command(config), env=world.sdg_env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "executor.type: ray shards the stream" in done.stdout + done.stderr
    assert not (tmp_path / "r" / "rounds").exists()
