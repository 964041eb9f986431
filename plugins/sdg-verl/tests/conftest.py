"""Fixtures of the sdg-verl tests: a real run directory made on the scripted loopback
server, whose config has a ``train:`` section."""

from __future__ import annotations

import pytest

from sdg_verl import plugin as verl
from sdgcore.testing import components, world
from sdgcore.testing.server import FakeOpenAIServer, Script

QUESTIONS = ["Q1 [learnable]", "Q2 [easy]", "Q3 [hard]", "Q4 [split]", "Q6 [learnable]",
             "Q7 [easy]", "Q8 [hard]", "Q11 [learnable]"]


@pytest.fixture
def manager(make_plugin_manager):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    return make_plugin_manager(components, voting, rewriters, verl)


@pytest.fixture
def run(tmp_path, sdg_cli, manager):
    """A real run (loopback teacher and student) whose config has a ``train:`` section."""
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        config = world.write_config(tmp_path / "config.yaml", server.url, run_dir, QUESTIONS,
                                    train={"type": "verl", "mode": "grpo", "model": "Qwen/Q"},
                                    target={"learnable": 100})
        result = sdg_cli(["run", str(config)], manager=manager)
        assert result.exit_code == 0, result.output
    assert "warning: train: the trainer 'verl' is not run by `sdg run`; run `sdg train " \
           f"{run_dir}` to export its data for verl and launch it" in result.output
    return config, run_dir


