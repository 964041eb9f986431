"""Fixtures of the sdg-verl tests: a real run directory made on the scripted loopback
server, whose config has a ``train:`` section; a finished run of sums with a given
``train:`` section; SmolLM2-135M as a Hugging Face model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sdg_verl import plugin as verl
from sdgcore import AnswerFormat, Sample, Source
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


@pytest.fixture(scope="session")
def smollm2(tmp_path_factory) -> Path:
    """SmolLM2-135M-Instruct, the embedded model, as a Hugging Face directory (converted from
    its GGUF once per session: about 30 s on 2 CPU cores)."""
    from sdg_verl.gguf import to_hf
    from sdgcore import embedded_model_path

    return to_hf(embedded_model_path(), tmp_path_factory.mktemp("smollm2") / "hf")


@pytest.fixture
def arith_run(tmp_path) -> Callable[[dict[str, Any]], Path]:
    """``make(train)``: a finished run's directory holding 64 learnable sums ("What is 3 + 4?",
    reference "3 + 4 = 7. <answer>7</answer>") and its config: the embedded model in every
    role, two greedy attempts per question (``solve``), and ``train``."""

    def make(train: dict[str, Any]) -> Path:
        run_dir = tmp_path / "run"
        run_dir.mkdir()
        rows = [Sample(task="arith", question=f"What is {a} + {b}?",
                       reference=f"{a} + {b} = {a + b}. <answer>{a + b}</answer>",
                       answer=str(a + b), pass_rate=0.5, category="learnable",
                       answer_format=AnswerFormat(tag="answer"),
                       source=Source(kind="test", ref=f"{a}+{b}"))
                for a in range(8) for b in range(8)]
        (run_dir / "learnable.jsonl").write_text("".join(s.to_json() + "\n" for s in rows))
        embedded = {"backend": "llamacpp", "sampling": {"max_tokens": 48}}
        config = {"run": {"seed": 0}, "models": {"teacher": embedded, "student": embedded},
                  "task": {"type": "distill", "instruction": "Ask for a sum of two digits."},
                  "solve": {"n": 2, "temperature": 0.0}, "train": train}
        (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
        return run_dir

    return make
