"""``sdg eval``: a base and a "trained" model scored side by side on a run's held-out
questions by the run's comparator, through the run's request cache."""

from __future__ import annotations

import json

import yaml

from sdgcore.testing import world
from sdgcore.testing.replies import Fault, IncomingRequest, Reply
from sdgcore.testing.server import FakeOpenAIServer, Script


def trained_or_world(request: IncomingRequest):
    """``trained-model`` always gives the teacher's answer; everyone else as the world."""
    if request.model == "trained-model":
        tag = world.tag_of(request.last_user)
        return [Reply(f"<answer>{world.TEACHER[tag][0]}</answer>")] * request.n
    return world.answer(request)


def endpoint(name: str, model: str, url: str) -> str:
    return (f"{name}={{backend: openai_compat, model: {model}, api_base: '{url}', "
            "limits: {retries: 1, backoff: 0.01}}")


def trained(url: str) -> str:
    return endpoint("trained", "trained-model", url)


def test_base_and_trained_side_by_side_then_from_the_cache(run, sdg_cli, manager):
    _, run_dir = run
    with FakeOpenAIServer(Script.respond(trained_or_world)) as server:
        args = ["eval", str(run_dir), "--split", "all",
                "--model", endpoint("base", "student-model", server.url),
                "--model", trained(server.url)]
        result = sdg_cli(args, manager=manager)
        assert result.exit_code == 0, result.output
        first = len(server.requests)
        again = sdg_cli(args, manager=manager)
        assert again.exit_code == 0, again.output
        repeated = len(server.requests) - first

    report = json.loads((run_dir / "verl" / "eval.json").read_text())
    base, better = report["models"]
    learnable = [json.loads(line) for line in (run_dir / "learnable.jsonl").open()]
    assert base["questions"] == better["questions"] == len(learnable) > 0
    assert report["n"] == 4 and report["split"] == "all" and report["comparator"] == "exact"
    # the world's student gets learnable questions right half the time (4,5,4,5 / 8,8,1,1)
    assert base["pass_rate"] == 0.5 and base["solved"] == 1.0
    assert base["per_sample"] == {s["id"]: [2, 4] for s in learnable}
    assert better["pass_rate"] == 1.0 and better["model"] == "trained-model"
    assert base["model"] == "student-model" and base["failed"] == better["failed"] == 0
    lines = result.output.splitlines()
    assert any(line.split() == ["pass", "rate", "50.0%", "100.0%", "+50.0", "pts"]
               for line in lines), result.output
    assert any(line.split()[:1] == ["learnable"] for line in lines)
    # one request per model and question; the second eval came from the run's cache
    assert first == 2 * len(learnable)
    assert repeated == 0


def test_the_held_out_split_is_the_exports_validation_split(run, sdg_cli, manager):
    config, run_dir = run
    data = yaml.safe_load(config.read_text())
    data["train"] = {"type": "verl", "mode": "grpo", "model": "m", "val_fraction": 0.4}
    config.write_text(yaml.safe_dump(data))
    with FakeOpenAIServer(Script.respond(trained_or_world)) as server:
        exported = sdg_cli(["train", str(config), "--dry-run"], manager=manager)
        assert exported.exit_code == 0, exported.output
        held_out = json.loads((run_dir / "verl" / "export.json").read_text())["sample_ids"]
        result = sdg_cli(["eval", str(config), "-n", "2", "--model", trained(server.url)],
                         manager=manager)
    assert result.exit_code == 0, result.output
    assert len(held_out["val"]) == 2 and len(held_out["train"]) == 3
    [score] = json.loads((run_dir / "verl" / "eval.json").read_text())["models"]
    assert sorted(score["per_sample"]) == sorted(held_out["val"])
    assert all(v == [2, 2] for v in score["per_sample"].values())


def test_a_failing_model_is_reported_with_its_reason(run, sdg_cli, manager):
    _, run_dir = run
    with FakeOpenAIServer(Script.always(Fault.server_error(404, "no such model"))) as server:
        result = sdg_cli(["eval", str(run_dir), "--split", "all", "--model",
                          trained(server.url)], manager=manager)
    assert result.exit_code == 1
    assert "trained: 5 question(s) got no answer" in result.output
    assert "no such model" in result.output and "answered no question" in result.output
    # a role of the run: its endpoint (the run's server, gone now) cannot be reached
    gone = sdg_cli(["eval", str(run_dir), "--split", "all", "--model", "student"],
                   manager=manager)
    assert gone.exit_code == 1 and "student: 5 question(s) got no answer" in gone.output
    assert "Cannot connect" in gone.output


def test_wrong_model_options_name_the_option(run, sdg_cli, manager):
    _, run_dir = run
    for bad, where in [("teacher=student", "--model teacher: a role of the run"),
                       ("x=nobody", "x: 'nobody' is not a role of the run"),
                       ("x={backend: openai_compat, modle: m}",
                        "x: unknown key for backend 'openai_compat'; did you mean 'model'?")]:
        result = sdg_cli(["eval", str(run_dir), "--model", bad], manager=manager)
        assert result.exit_code == 2, (bad, result.output)
        assert where in result.output, (bad, result.output)
