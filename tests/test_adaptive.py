"""Adaptive solving: attempts a batch at a time, stopping once the category is decided."""

from __future__ import annotations

import json

import pytest

from sdgcore import Sample
from sdgcore.pipeline.adaptive import decided
from sdgcore.testing import components, world
from sdgcore.testing.server import FakeOpenAIServer, Script


@pytest.mark.parametrize(("correct", "made", "n", "low", "high", "uniform", "why"), [
    (1, 2, 8, 0.0, 1.0, None, "certain"),      # one right, one wrong: learnable for sure
    (2, 2, 8, 0.0, 1.0, None, None),            # all right so far: could still miss once
    (0, 6, 8, 0.0, 1.0, None, None),
    (0, 8, 8, 0.0, 1.0, None, "n"),
    (4, 4, 8, 0.0, 1.0, 4, "uniform"),          # the bet: four out of four
    (3, 4, 8, 0.0, 1.0, 4, "certain"),
    (0, 6, 8, 0.25, 0.75, None, "certain"),     # at most 2 of 8 right: too hard for sure
    (6, 6, 8, 0.25, 0.75, None, "certain"),     # at least 6 of 8: too easy for sure
    (3, 6, 8, 0.25, 0.75, None, "certain"),     # 3..5 of 8: learnable for sure
    (2, 4, 8, 0.25, 0.75, None, None),          # 2..6 of 8: not yet
])
def test_the_category_is_decided_only_when_the_rest_cannot_change_it(correct, made, n, low,
                                                                    high, uniform, why):
    assert decided(correct, made, n, low, high, uniform) == why


def run(tmp_path, sdg_cli, make_plugin_manager, **solve):
    from sdg_voting import plugin as voting

    run_dir = tmp_path / "run"
    questions = ["Q1 [learnable]", "Q2 [easy]", "Q3 [hard]"]
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        config = world.write_config(tmp_path / "c.yaml", server.url, run_dir, questions,
                                    solve={"n": 8, **solve},
                                    rewrite=None)
        result = sdg_cli(["run", str(config)], manager=make_plugin_manager(components, voting))
        student = [r.body for r in server.requests if r.body["model"] == "student-model"]
    assert result.exit_code == 0, result.output
    samples = {}
    for name in ("learnable", "too_easy", "too_hard"):
        for line in (run_dir / f"{name}.jsonl").open():
            sample = Sample.from_json(line)
            samples[sample.question.split()[0]] = sample
    return samples, student


def test_adaptive_solving_stops_a_learnable_sample_early(tmp_path, sdg_cli,
                                                         make_plugin_manager):
    samples, student = run(tmp_path, sdg_cli, make_plugin_manager, adaptive=True, batch=2)
    q1, q2, q3 = samples["Q1"], samples["Q2"], samples["Q3"]
    assert q1.category == "learnable" and len(q1.attempts) == 2 and q1.pass_rate == 0.5
    assert q1.scoring["solve"] == {"attempts": 2, "of": 8, "stopped": "certain"}
    assert q2.category == "too_easy" and len(q2.attempts) == 8
    assert q2.scoring["solve"]["stopped"] == "n"
    assert q3.category == "too_hard" and len(q3.attempts) == 8
    assert [b["n"] for b in student] == [2] * (1 + 4 + 4)
    assert len({b["seed"] for b in student}) == len(student)  # each batch its own seed


def test_uniform_stop_bets_on_agreeing_attempts(tmp_path, sdg_cli, make_plugin_manager):
    samples, student = run(tmp_path, sdg_cli, make_plugin_manager, adaptive=True, batch=2,
                           uniform_stop=4)
    assert len(samples["Q2"].attempts) == len(samples["Q3"].attempts) == 4
    assert samples["Q2"].scoring["solve"]["stopped"] == "uniform"
    assert samples["Q2"].category == "too_easy" and samples["Q3"].category == "too_hard"
    assert sum(b["n"] for b in student) == 2 + 4 + 4


def test_fixed_n_is_one_request_of_n(tmp_path, sdg_cli, make_plugin_manager):
    samples, student = run(tmp_path, sdg_cli, make_plugin_manager)
    assert [b["n"] for b in student] == [8, 8, 8]
    assert "solve" not in samples["Q1"].scoring
    assert json.loads(json.dumps(samples["Q1"].pass_rate)) == 0.5
