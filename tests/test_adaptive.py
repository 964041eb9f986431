"""Adaptive solving: attempts a batch at a time, stopping once the category is decided."""

from __future__ import annotations

import hashlib
import json

import pytest

from sdgcore import Sample
from sdgcore.pipeline.adaptive import decided, same_category
from sdgcore.pipeline.fit_prior import outcomes
from sdgcore.pipeline.prior import UNIFORM, Prior, fit
from sdgcore.testing import components, world
from sdgcore.testing.replies import Reply
from sdgcore.testing.server import FakeOpenAIServer, Script

# a third never solved, a third always, a third at 0.5
POINTS = Prior.of({0.0: 1, 0.5: 1, 1.0: 1})


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


def test_five_right_stops_as_too_easy_only_at_the_risk_the_prior_allows():
    # posterior: 0.3 at p=1, 0.4 * 0.5**5 at 0.5; the fixed-n category is too easy unless one
    # of the 3 attempts left fails: (0.3 + 0.0125 / 8) / 0.3125
    prior = Prior.of({0.0: 0.3, 0.5: 0.4, 1.0: 0.3})
    assert same_category(5, 5, 8, 0.0, 1.0, prior) == pytest.approx(0.965)
    assert decided(5, 5, 8, 0.0, 1.0, risk=0.05, prior=prior) == "sequential"
    assert decided(5, 5, 8, 0.0, 1.0, risk=0.001, prior=prior) is None
    assert decided(5, 5, 8, 0.0, 1.0, risk=0.05) is None  # uniform prior: no mass at 1
    assert decided(5, 5, 8, 0.0, 1.0, risk=None, prior=prior) is None


def test_the_uniform_prior_never_bets_under_the_default_band():
    for made in range(1, 8):
        for correct in range(made + 1):
            why = decided(correct, made, 8, 0.0, 1.0, risk=0.01, prior=UNIFORM)
            assert why == ("certain" if 0 < correct < made else None)


def test_a_band_stops_sequentially_under_the_uniform_prior():
    # 0 of 5 right under a uniform prior: the pass rate is Beta(1, 6); too hard at 8 attempts
    # unless all 3 left succeed: 1 - E[p**3] = 1 - 6 / 504
    assert same_category(0, 5, 8, 0.25, 0.75) == pytest.approx(1 - 6 / 504, abs=1e-3)
    assert decided(0, 5, 8, 0.25, 0.75, risk=0.02) == "sequential"
    assert decided(0, 4, 8, 0.25, 0.75, risk=0.02) is None


def test_attempts_the_prior_cannot_explain_never_stop_on_it():
    always = Prior.of({1.0: 1})
    assert same_category(0, 2, 8, 0.0, 1.0, always) == 0.0
    assert decided(0, 2, 8, 0.0, 1.0, risk=0.5, prior=always) is None


def test_the_decision_depends_on_nothing_but_its_arguments():
    first = [same_category(c, m, 8, 0.0, 1.0, POINTS) for m in range(1, 8) for c in (0, m)]
    for _ in range(3):  # other samples' decisions in between leave no trace
        same_category(3, 4, 8, 0.25, 0.75, POINTS)
        assert [same_category(c, m, 8, 0.0, 1.0, POINTS)
                for m in range(1, 8) for c in (0, m)] == first


def test_a_fitted_prior_finds_the_questions_never_and_always_solved():
    found = [(0, 8)] * 100 + [(8, 8)] * 100 + [(4, 8)] * 50 + [(1, 2), (1, 2)] * 25
    prior = fit(found)
    assert sum(prior.weights) == pytest.approx(1)
    weights = dict(zip(prior.points, prior.weights, strict=True))
    assert weights[0.0] > 0.25 and weights[1.0] > 0.25
    assert sum(w for p, w in weights.items() if 0.3 <= p <= 0.7) > 0.25
    assert fit(found) == prior
    with pytest.raises(ValueError):
        fit([])


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


def test_a_prior_stops_agreeing_attempts_sequentially(tmp_path, sdg_cli, make_plugin_manager):
    samples, student = run(tmp_path, sdg_cli, make_plugin_manager, adaptive=True, batch=2,
                           risk=0.05, prior={0.0: 1, 0.5: 1, 1.0: 1})
    q1, q2, q3 = samples["Q1"], samples["Q2"], samples["Q3"]
    # after 4 agreeing: 0.945, short of 0.95; after 6: (1 + 1/256) / (1 + 1/64)
    confidence = round((1 + 1 / 256) / (1 + 1 / 64), 4)
    for q, category in ((q2, "too_easy"), (q3, "too_hard")):
        assert q.category == category and len(q.attempts) == 6
        assert q.scoring["solve"] == {"attempts": 6, "of": 8, "stopped": "sequential",
                                      "confidence": confidence}
    assert q1.scoring["solve"] == {"attempts": 2, "of": 8, "stopped": "certain"}
    assert [b["n"] for b in student] == [2] * (1 + 3 + 3)


def by_seed(request):
    """The student right with the pass rate in the question's name, drawn from the request's
    seed (the teacher always answers 1)."""
    question = request.last_user.split("\n")[0]
    if request.model == "teacher-model":
        return [Reply("<answer>1</answer>")] * request.n
    p = float(question.split("p=")[1].split("]")[0])
    return [Reply("<answer>1</answer>" if int(hashlib.sha256(
        f"{question}/{request.body.get('seed')}/{i}".encode()).hexdigest()[:8], 16) < p * 2**32
        else "<answer>0</answer>") for i in range(request.n)]


def test_samples_decide_alike_whatever_order_they_finish_in(tmp_path, sdg_cli,
                                                          make_plugin_manager):
    from sdg_voting import plugin as voting

    questions = [f"Q{i} [p={p}]" for i, p in enumerate([0.0, 1.0, 0.9, 0.1, 0.5] * 3)]
    solved = []
    for concurrency in (1, 16):
        run_dir = tmp_path / f"run{concurrency}"
        with FakeOpenAIServer(Script.respond(by_seed)) as server:
            config = world.write_config(
                tmp_path / f"c{concurrency}.yaml", server.url, run_dir, questions,
                solve={"n": 8, "adaptive": True, "batch": 1, "risk": 0.05,
                       "prior": {0.0: 1, 0.5: 1, 1.0: 1}},
                rewrite=None, run={"dir": str(run_dir), "concurrency": concurrency})
            result = sdg_cli(["run", str(config)],
                             manager=make_plugin_manager(components, voting))
        assert result.exit_code == 0, result.output
        solved.append(sorted(
            (row["question"], row["category"], row["scoring"]["solve"],
             [a["correct"] for a in row["attempts"]])
            for name in ("learnable", "too_easy", "too_hard")
            for row in map(json.loads, (run_dir / f"{name}.jsonl").open())))
        assert sorted(outcomes(run_dir)) == sorted((sum(a), len(a)) for *_, a in solved[-1])
    assert len(solved[0]) == len(questions) and solved[0] == solved[1]
    assert {s["stopped"] for _, _, s, _ in solved[0]} >= {"sequential", "certain"}


@pytest.mark.parametrize(("prior", "ok"), [
    ({0.0: 0.3, 0.5: 0.4, 1.0: 0.3}, True),
    ({0.0: 1, 1.5: 1}, False),  # a pass rate above 1
    ({0.0: 0, 1.0: 0}, False),  # no weight
])
def test_a_prior_is_checked_with_the_config(tmp_path, sdg_cli, make_plugin_manager, prior, ok):
    from sdg_voting import plugin as voting

    config = world.write_config(tmp_path / "c.yaml", "http://127.0.0.1:9", tmp_path / "run",
                                ["Q1 [easy]"], solve={"adaptive": True, "prior": prior},
                                rewrite=None)
    result = sdg_cli(["validate", str(config)], manager=make_plugin_manager(components, voting))
    assert (result.exit_code == 0) == ok, result.output
    assert ok or "solve: prior: " in result.output


def test_fit_prior_prints_a_prior_from_a_runs_datasets(tmp_path, capsys, sdg_cli,
                                                       make_plugin_manager):
    import yaml

    from sdgcore.pipeline import fit_prior

    rows = {"too_hard": [[False] * 8] * 30, "too_easy": [[True] * 8] * 30,
            "learnable": [[True, False]] * 40}
    for name, attempts in rows.items():
        (tmp_path / f"{name}.jsonl").write_text("".join(
            json.dumps({"question": "q", "attempts": [{"response": "", "correct": c} for c in a],
                        "scoring": {}}) + "\n" for a in attempts))
    with (tmp_path / "too_easy.jsonl").open("a") as fh:  # a gate pass is no sample
        fh.write(json.dumps({"attempts": [{"response": "", "correct": True}],
                             "scoring": {"gate": "passed"}}) + "\n")
    fit_prior.main([str(tmp_path)])
    printed = capsys.readouterr().out
    assert printed.startswith("# fitted from 100 samples")
    prior = yaml.safe_load(printed)["solve"]["prior"]
    assert prior[0.0] > 0.2 and prior[1.0] > 0.2 and sum(prior.values()) == pytest.approx(1, 0.01)

    # the same from the command line, and a directory without samples is an input error
    result = sdg_cli(["prior", str(tmp_path)], manager=make_plugin_manager())
    assert result.exit_code == 0 and result.output == printed
    empty = tmp_path / "empty"
    empty.mkdir()
    result = sdg_cli(["prior", str(empty)], manager=make_plugin_manager())
    assert result.exit_code == 2 and "no categorized samples with attempts" in result.output
