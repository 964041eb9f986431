import json
import os
import tomllib
from pathlib import Path

import click
import pytest
import yaml

from sdgcore import __version__, hookimpl
from sdgcore.records import Sample
from sdgcore.testing import components
from sdgcore.testing.server import Reply, Script

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def repo_plugin_distributions() -> set[str]:
    return {
        tomllib.loads(p.read_text())["project"]["name"]
        for p in (ROOT / "plugins").glob("*/pyproject.toml")
    }


def test_version(sdg_cli):
    result = sdg_cli(["--version"])
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("args", [[], ["run"], ["validate"], ["plugins"], ["init"]])
def test_help_everywhere(sdg_cli, args):
    result = sdg_cli([*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_plugins_lists_every_plugin_package_in_the_repo(sdg_cli):
    result = sdg_cli(["plugins", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    loaded = {p["distribution"] for p in data["plugins"] if p["state"] == "loaded"}
    assert repo_plugin_distributions() <= loaded
    assert len(repo_plugin_distributions()) == 7
    kinds = {(c["kind"], c["name"]) for c in data["components"]}
    assert {("task", "local"), ("task", "web"), ("task", "distill"), ("voter", "exact"),
            ("rewriter", "difficulty"), ("trainer", "verl"), ("retriever", "bm25"),
            ("backend", "openai_compat")} <= kinds
    table = sdg_cli(["plugins"]).output
    for dist in repo_plugin_distributions():
        assert dist in table
    assert {c["status"] for c in data["components"]} == {"ready"}  # web was the last planned


def test_plugins_honours_p_no(sdg_cli):
    data = json.loads(sdg_cli(["-p", "no:voting", "-p", "no:sdg-web", "plugins", "--json"])
                      .output)
    states = {p["name"]: p["state"] for p in data["plugins"]}
    assert states["voting"] == "blocked" and states["web"] == "blocked"
    assert not any(c["distribution"] == "sdg-voting" for c in data["components"])


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_validates(sdg_cli, example):
    result = sdg_cli(["validate", str(example)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_bad_config_exits_2_naming_each_key_path(sdg_cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "task:\n  type: distill\n  instruction: x\n  instrucion_format: y\n"
        "solve:\n  n: lots\n"
        "voter:\n  type: majority\n"
    )
    result = sdg_cli(["validate", str(bad)])
    assert result.exit_code == 2
    out = result.output
    assert "error: config in" in out and "has 3 problems" in out
    assert "task.instrucion_format: unknown key" in out
    assert "solve.n: expected an integer, got 'lots'" in out
    assert "voter.type: unknown voter 'majority'; choose from: exact, llm_judge, semantic" in out
    assert "Traceback" not in out
    assert sdg_cli(["run", str(bad)]).exit_code == 2


def test_set_overrides_and_show(sdg_cli):
    result = sdg_cli(["validate", str(ROOT / "examples/quickstart.yaml"),
                      "--set", "target.learnable=3", "--show"])
    assert result.exit_code == 0, result.output
    resolved = yaml.safe_load(result.stdout[result.stdout.index("task:"):])
    assert resolved["target"]["learnable"] == 3
    assert sdg_cli(["validate", str(ROOT / "examples/quickstart.yaml"),
                    "--set", "target.learnable=none"]).exit_code == 2


def test_validate_warns_of_unset_secrets_without_printing_them(sdg_cli, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-do-not-print")
    result = sdg_cli(["validate", str(ROOT / "examples/openai.yaml"), "--show"])
    assert result.exit_code == 0, result.output
    assert "environment variable OPENAI_API_KEY is not set" in result.output
    assert "sk-do-not-print" not in result.output
    assert "${DEEPSEEK_API_KEY}" in result.output


def test_init_writes_a_starter_that_validates(sdg_cli, tmp_path):
    path = tmp_path / "sdg.yaml"
    assert sdg_cli(["init", str(path)]).exit_code == 0
    text = path.read_text()
    assert text.count("\n#") > 10  # it is commented
    assert sdg_cli(["validate", str(path)]).exit_code == 0
    again = sdg_cli(["init", str(path)])
    assert again.exit_code == 1 and "exists" in again.output and "--force" in again.output
    assert sdg_cli(["init", str(path), "--force"]).exit_code == 0


class PlannedTask(components.ListTask):
    """A task registered before it is built."""

    name = "later"
    status = "planned"


class Planned:
    @hookimpl
    def sdg_register_tasks(self, register):
        register(PlannedTask)


def test_run_refuses_what_is_not_built(sdg_cli, make_plugin_manager, tmp_path):
    config = tmp_path / "later.yaml"
    config.write_text(yaml.safe_dump({"task": {"type": "later", "questions": ["Q1"]},
                                      "run": {"dir": str(tmp_path / "r")}}))
    manager = make_plugin_manager(components, Planned(), entry_points=True)
    result = sdg_cli(["run", str(config)], manager=manager)
    assert result.exit_code == 2
    assert "task.type: task 'later' from" in result.output
    assert "is not built yet" in result.output
    assert "not built yet" in sdg_cli(["plugins"], manager=manager).output
    assert not (tmp_path / "r").exists()  # refused before any work


def always_right(request):
    """Every model answers 4, so every sample is labelled 4 and is too easy."""
    return [Reply("<answer>4</answer>")] * request.n


def model_config(tmp_path, server, run_dir, task, name="c.yaml") -> Path:
    remote = {"backend": "openai_compat", "api_base": server.url, "model": "fake-model"}
    path = tmp_path / name
    path.write_text(yaml.safe_dump({
        "task": task,
        "models": {"teacher": remote, "student": remote, "judge": remote},
        "voter": {"type": "exact", "k": 3},
        "solve": {"n": 2},
        "rewrite": {"type": "difficulty", "max_rounds": 0},
        "target": {"learnable": 10},
        "run": {"dir": str(run_dir)},
    }))
    return path


def test_run_keeps_its_directory_and_refuses_another_config(sdg_cli, make_plugin_manager,
                                                            tmp_path, fake_openai):
    fake_openai.script = Script.respond(always_right)
    manager = make_plugin_manager(components, entry_points=True)
    run_dir = tmp_path / "run"
    config = model_config(tmp_path, fake_openai, run_dir,
                          {"type": "list", "questions": ["q1", "q2"], "repeat": True})
    result = sdg_cli(["run", str(config)], manager=manager)
    assert result.exit_code == 0, result.output
    samples = [Sample.from_json(x) for x in (run_dir / "too_easy.jsonl").read_text().splitlines()]
    assert [s.question for s in samples] == ["q1", "q2"]  # repeats are the same samples
    assert all(s.answer == "4" and s.pass_rate == 1.0 for s in samples)
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["task"] == {"type": "list", "questions": ["q1", "q2"], "repeat": True,
                             "answer_tag": "answer"}
    marker = json.loads((run_dir / "sdg-run.json").read_text())
    assert marker["versions"]["sdgcore"] == __version__

    again = sdg_cli(["run", str(config)], manager=manager)  # same config: resumed
    assert again.exit_code == 0 and "resuming" in again.output
    changed = model_config(tmp_path, fake_openai, run_dir,
                           {"type": "list", "questions": ["other"]}, "changed.yaml")
    refused = sdg_cli(["run", str(changed)], manager=manager)
    assert refused.exit_code == 2 and "holds a run of a different config" in refused.output
    assert "--fresh" in refused.output
    assert len((run_dir / "too_easy.jsonl").read_text().splitlines()) == 2  # untouched
    fresh = sdg_cli(["run", str(changed), "--fresh"], manager=manager)
    assert fresh.exit_code == 0, fresh.output
    assert Sample.from_json((run_dir / "too_easy.jsonl").read_text()).question == "other"


def test_run_and_validate_say_plainly_that_the_trainer_is_not_run(sdg_cli, make_plugin_manager,
                                                                  tmp_path, fake_openai):
    fake_openai.script = Script.respond(always_right)
    manager = make_plugin_manager(components, entry_points=True)
    run_dir = tmp_path / "run"
    config = model_config(tmp_path, fake_openai, run_dir, {"type": "list", "questions": ["q1"]})
    data = yaml.safe_load(config.read_text())
    config.write_text(yaml.safe_dump({**data, "train": {"type": "verl", "mode": "grpo"}}))
    notice = ("warning: train: the trainer 'verl' is not run by `sdg run`; run `sdg train "
              f"{run_dir}` to export its data for verl and launch it, or `sdg run --train`")

    result = sdg_cli(["run", str(config)], manager=manager)
    assert result.exit_code == 0, result.output
    assert [line for line in result.stderr.splitlines() if "train" in line] == [notice]
    assert result.output.index(notice) < result.output.index("stopped because")  # before work
    assert (run_dir / "too_easy.jsonl").read_text()

    validated = sdg_cli(["validate", str(config)], manager=manager)
    assert validated.exit_code == 0, validated.output
    assert [line for line in validated.stderr.splitlines() if "train" in line] == [notice]


def test_run_never_writes_into_a_foreign_directory(sdg_cli, make_plugin_manager, tmp_path,
                                                   fake_openai):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    config = model_config(tmp_path, fake_openai, foreign, {"type": "list", "questions": ["q"]})
    result = sdg_cli(["run", str(config), "--fresh"],
                     manager=make_plugin_manager(components, entry_points=True))
    assert result.exit_code == 2 and "not an sdg run directory" in result.output
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]


def test_run_with_a_model_endpoint_keeps_accounts_and_pays_once(sdg_cli, make_plugin_manager,
                                                                   tmp_path, fake_openai):
    def reply(request):
        if request.model == "fake-model" and "apples" in request.last_user and request.n == 1:
            return "Q: apples?"
        return always_right(request)

    fake_openai.script = Script.respond(reply)
    manager = make_plugin_manager(components, entry_points=True)
    run_dir = tmp_path / "run"
    config = model_config(tmp_path, fake_openai, run_dir,
                          {"type": "prompt", "prompts": ["apples"]})
    result = sdg_cli(["run", str(config)], manager=manager)
    assert result.exit_code == 0, result.output
    [sample] = [Sample.from_json(x) for x in (run_dir / "too_easy.jsonl").read_text().splitlines()]
    assert sample.question == "Q: apples?"
    summary = json.loads((run_dir / "summary.json").read_text())
    endpoint = summary["models"]["teacher+student+judge"]
    assert endpoint["requests"] == 3  # generate, label (n=3), solve (n=2)
    assert "models" in result.stdout
    paid = fake_openai.count()

    again = sdg_cli(["run", str(config), "--fresh"], manager=manager)
    assert again.exit_code == 0, again.output
    assert fake_openai.count() == paid + 3  # --fresh discards the cache with the run

    rerun = sdg_cli(["run", str(config)], manager=manager)  # same config: resumed
    assert rerun.exit_code == 0, rerun.output
    assert fake_openai.count() == paid + 3  # nothing paid twice
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["models"]["teacher+student+judge"]["requests"] == 0


def test_results_are_ordinary_files(tmp_path):
    from sdgcore.store import write_atomic

    path = tmp_path / "out.jsonl"
    write_atomic(path, ["a\n", "b\n"])
    assert path.read_text() == "a\nb\n"
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left


class _TakesRun:
    """A plugin whose command takes a name that is already taken."""

    __name__ = "takes_run"

    @hookimpl
    def sdg_add_commands(self, cli):
        cli.add_command(click.Command("run", help="Not the real run."))


class _AddsHello:
    __name__ = "adds_hello"

    @hookimpl
    def sdg_add_commands(self, cli):
        cli.add_command(click.Command("hello", callback=lambda: click.echo("hi"),
                                      help="Say hi."))


def test_a_command_name_taken_twice_leaves_out_that_plugins_commands(sdg_cli,
                                                                     make_plugin_manager):
    manager = make_plugin_manager(_TakesRun(), _AddsHello())
    result = sdg_cli(["--help"], manager=manager)
    assert result.exit_code == 0, result.output
    assert "Say hi." in result.output and "Not the real run." not in result.output
    assert ("warning: plugin 'takes_run' (takes_run): it adds the command 'run', which is "
            "already taken; its commands are left out") in " ".join(result.output.split())
    assert sdg_cli(["hello"], manager=manager).output.endswith("hi\n")
    assert "Run the pipeline" in sdg_cli(["run", "--help"], manager=manager).output
