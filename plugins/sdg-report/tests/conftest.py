"""Fixtures of the sdg-report tests: a real run directory, made by ``sdg run`` (a subprocess,
plugins found through their entry points) against the scripted loopback teacher and student.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sdgcore.testing import world
from sdgcore.testing.server import FakeOpenAIServer, Script

HOSTILE = "Q90 <script>alert('x')</script> & <b>bold</b> [learnable]"
"""A question with markup in it: a page must show it as text."""
QUESTIONS = [*world.questions(24), HOSTILE]


def make_run(tmp: Path, questions: list[str], batch: int = 8) -> tuple[Path, str]:
    """Run ``sdg run`` on ``questions`` in ``tmp/run``; the run directory and its output.
    The run goes in rounds of ``batch``, so it has several checkpoint files whatever the
    timing (the stream schedule writes one a second)."""
    run_dir = tmp / "run"
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        config = world.write_config(tmp / "config.yaml", server.url, run_dir, questions,
                                    target={"learnable": 1000, "batch": batch},
                                    run={"dir": str(run_dir), "concurrency": 4,
                                         "schedule": "rounds"})
        done = subprocess.run(world.sdg_command(config), env=world.sdg_env(),
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return run_dir, done.stdout + done.stderr


@pytest.fixture(scope="session")
def made_run(tmp_path_factory) -> tuple[Path, str]:
    """A finished run (rewrites, drops, several rounds) and what ``sdg run`` printed; read it
    only (copy it with :func:`copy_run` to change it)."""
    return make_run(tmp_path_factory.mktemp("made"), QUESTIONS)


@pytest.fixture
def run_dir(made_run, tmp_path) -> Path:
    """A copy of the finished run that a test may change."""
    return copy_run(made_run[0], tmp_path / "run")


def copy_run(source: Path, target: Path) -> Path:
    """Copy a run directory (its request cache too)."""
    shutil.copytree(source, target)
    return target


@pytest.fixture
def serve():
    """``serve(run_dir)`` -> the base URL of ``sdg view``'s server on that run, stopped after
    the test."""
    import threading

    from sdg_report.index import SampleIndex
    from sdg_report.rundir import RunFiles
    from sdg_report.server import make_server

    servers = []

    def start(run_dir: Path) -> str:
        server = make_server(SampleIndex(RunFiles(run_dir)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
