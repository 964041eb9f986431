"""``sdg train --dry-run`` on a real run directory: the exact command lines, train.sh, the
data checks; and the one-line error when verl is not installed."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from sdg_verl import launch
from sdg_verl.launch import reward_path
from sdg_verl.plugin import VerlConfig
from sdgcore.testing import world
from sdgcore.testing.server import FakeOpenAIServer, Script

QUESTIONS = ["Q1 [learnable]", "Q2 [easy]", "Q3 [hard]", "Q4 [split]", "Q6 [learnable]",
             "Q7 [easy]", "Q8 [hard]", "Q11 [learnable]"]


def attention_args(prefix: str) -> list[str]:
    """What ``attention: auto`` adds here: nothing where flash-attn is installed, else sdpa."""
    if launch.attention(VerlConfig()) == "flash_attention_2":
        return []
    return [f"+{prefix}.override_config.attn_implementation=sdpa",
            f"{prefix}.use_remove_padding=False"]


def with_train(config: Path, **train) -> Path:
    data = yaml.safe_load(config.read_text())
    data["train"] = {"type": "verl", **train}
    config.write_text(yaml.safe_dump(data))
    return config


def test_dry_run_grpo_on_the_run_dir(run, sdg_cli, manager):
    _, run_dir = run
    result = sdg_cli(["train", str(run_dir), "--dry-run"], manager=manager)
    assert result.exit_code == 0, result.output
    out = run_dir / "verl"
    expected = [
        "python", "-m", "verl.trainer.main_ppo",
        "algorithm.adv_estimator=grpo",
        f"data.train_files={out}/grpo_train.parquet",
        f"data.val_files={out}/grpo_val.parquet",
        "data.prompt_key=prompt",
        "data.train_batch_size=32",
        "actor_rollout_ref.model.path=Qwen/Q",
        *attention_args("actor_rollout_ref.model"),
        "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]",
        "actor_rollout_ref.actor.ppo_mini_batch_size=32",
        "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4",
        "actor_rollout_ref.rollout.name=vllm",
        "actor_rollout_ref.rollout.n=8",
        "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=4",
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=4",
        f"reward.custom_reward_function.path={reward_path()}",
        "reward.custom_reward_function.name=compute_score",
        "trainer.total_epochs=1",
        "trainer.nnodes=1",
        "trainer.n_gpus_per_node=1",
        "trainer.project_name=sdg",
        "trainer.experiment_name=run",
        'trainer.logger=["console"]',
        f"trainer.default_local_dir={out}/checkpoints",
        f"hydra.run.dir={out}/hydra",
    ]
    lines = result.output.splitlines()
    assert shlex.join(expected) in lines
    assert "nothing was started" in lines[-1]
    script = (out / "train.sh").read_text()
    assert script.startswith("#!/usr/bin/env bash\nset -euo pipefail\n"
                             "python -m verl.trainer.main_ppo \\\n  algorithm.adv_estimator=grpo")
    body = script.split("\n", 2)[2].replace(" \\\n", " ")
    assert shlex.split(body) == expected
    report = json.loads((out / "export.json").read_text())
    assert report["categories"] == ["learnable"]
    learnable = len((run_dir / "learnable.jsonl").read_text().splitlines())
    assert report["samples"]["train"] + report["samples"]["val"] == learnable > 2
    assert f"{report['rows']['train']} train rows" in result.output
    assert (f"warning: {report['rows']['train']} training rows are fewer than "
            "train.batch_size (32)") in result.stderr
    rows = pq.read_table(out / "grpo_train.parquet").to_pylist()
    assert {r["reward_model"]["ground_truth"] for r in rows} <= {"4", "8", "3"}
    assert rows[0]["extra_info"]["student"] == {"model": "student-model", "n": 4,
                                                "temperature": 0.7}


def test_dry_run_sft_from_the_config_with_every_knob(run, sdg_cli, manager):
    config, run_dir = run
    with_train(config, mode="sft", model="/models/q", nproc_per_node=8, epochs=3, lr=2e-5,
               attention="eager",
               batch_size=64, micro_batch_size=2, max_length=2048, lora_rank=16,
               categories=["learnable", "too_easy", "too_hard"], output="sft-out",
               experiment_name="exp", logger=["console", "wandb"],
               overrides=["trainer.save_freq=10"])
    result = sdg_cli(["train", str(config), "--dry-run"], manager=manager)
    assert result.exit_code == 0, result.output
    out = run_dir / "sft-out"
    expected = [
        "torchrun", "--standalone", "--nnodes=1", "--nproc_per_node=8",
        "-m", "verl.trainer.sft_trainer",
        f"data.train_files={out}/sft_train.parquet",
        f"data.val_files={out}/sft_val.parquet",
        "data.messages_key=messages",
        "data.train_batch_size=64",
        "data.micro_batch_size_per_gpu=2",
        "data.max_length=2048",
        "engine=fsdp",
        "model.path=/models/q",
        "+model.override_config.attn_implementation=eager",
        "model.use_remove_padding=False",
        "model.lora_rank=16",
        "optim.lr=2e-05",
        "checkpoint.save_contents=[model,optimizer,extra,hf_model]",
        "trainer.total_epochs=3",
        "trainer.nnodes=1",
        "trainer.n_gpus_per_node=8",
        "trainer.project_name=sdg",
        "trainer.experiment_name=exp",
        'trainer.logger=["console","wandb"]',
        f"trainer.default_local_dir={out}/checkpoints",
        f"hydra.run.dir={out}/hydra",
        "trainer.save_freq=10",
    ]
    assert shlex.join(expected) in result.output.splitlines()
    assert (out / "train.sh").stat().st_mode & 0o111
    messages = pq.read_table(out / "sft_train.parquet").to_pylist()[0]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    report = json.loads((out / "export.json").read_text())
    assert set(report["read"]) == {"learnable", "too_easy", "too_hard"}


def test_dynamic_sampling_adds_filter_groups(run, sdg_cli, manager):
    config, _ = run
    with_train(config, mode="grpo", model="m", dynamic_sampling=True, rollout_n=4)
    result = sdg_cli(["train", str(config), "--dry-run"], manager=manager)
    assert result.exit_code == 0, result.output
    argv = shlex.split(next(line for line in result.output.splitlines()
                            if line.startswith("python -m")))
    assert "actor_rollout_ref.rollout.n=4" in argv
    assert argv.index("algorithm.filter_groups.enable=True") + 1 == argv.index(
        "algorithm.filter_groups.metric=reward")
    assert "filter_groups" not in result.stderr


def test_train_without_verl_installed_says_what_to_install(run, sdg_cli, manager, monkeypatch):
    _, run_dir = run
    monkeypatch.setitem(sys.modules, "verl", None)  # importing it raises ImportError
    result = sdg_cli(["train", str(run_dir)], manager=manager)
    assert result.exit_code == 1
    assert "error: sdg train needs 'verl', which is not installed" in result.stderr
    assert "pip install 'sdg-verl[verl]'" in result.stderr
    assert (run_dir / "verl" / "train.sh").exists()  # the export and script are still there


@pytest.mark.parametrize(("train", "problem"), [
    (None, "train: missing: sdg train needs a train: section"),
    ({"mode": "grpo"}, "train.model: not set"),
    ({"mode": "ppo", "model": "m"}, "ppo not in literal"),
])
def test_a_bad_train_section_is_named(run, sdg_cli, manager, train, problem):
    config, _ = run
    data = yaml.safe_load(config.read_text())
    data["train"] = None if train is None else {"type": "verl", **train}
    config.write_text(yaml.safe_dump(data))
    run_dir = Path(data["run"]["dir"])
    (run_dir / "config.yaml").write_text(yaml.safe_dump(data))  # the run dir says the same
    result = sdg_cli(["train", str(config), "--dry-run"], manager=manager)
    assert result.exit_code == 2, result.output
    assert problem in result.stderr


def test_a_directory_that_is_no_run_is_refused(tmp_path, sdg_cli, manager):
    result = sdg_cli(["train", str(tmp_path), "--dry-run"], manager=manager)
    assert result.exit_code == 2
    assert "is not an sdg run directory (no config.yaml)" in result.stderr


def test_sdg_help_lists_train(sdg_cli, manager):
    result = sdg_cli(["--help"], manager=manager)
    assert "train" in result.output and "Export a run's samples for verl" in result.output


TRAINERS = Path(__file__).parent / "trainers"


@pytest.fixture
def fake_verl(monkeypatch):
    """``fake_verl_trainer`` importable by the trainer's subprocess."""
    monkeypatch.setenv("PYTHONPATH", str(TRAINERS))


@pytest.mark.parametrize("mode", ["grpo", "sft"])
def test_a_launch_streams_the_log_and_records_the_checkpoint(run, sdg_cli, manager, fake_verl,
                                                             mode):
    config, run_dir = run
    with_train(config, mode=mode, model="m", entrypoint="fake_verl_trainer", batch_size=2)
    result = sdg_cli(["train", str(config)], manager=manager)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    steps = [line for line in lines if line.startswith("step:")]
    assert len(steps) == 3 and "actor/loss:0.500" in steps[1]
    progress = [line for line in lines if line.startswith("[sdg train]")]
    assert [p.split(",")[0] for p in progress] == [f"[sdg train] step {i}/3" for i in (1, 2, 3)]
    out = run_dir / "verl"
    record = json.loads((out / "train.json").read_text())
    assert record["exit_code"] == 0 and record["steps"] == 3 and record["total_steps"] == 3
    assert record["checkpoint"] == str(out / "checkpoints" / "global_step_3")
    assert f"checkpoint: {out / 'checkpoints' / 'global_step_3'}" in result.output
    log = (out / "train.log").read_text()
    assert "training finished" in log and log.count("step:") == 3  # stderr too, no progress
    launcher = record["argv"][0]
    # a venv's torchrun is found beside its python, activated or not
    assert launcher == (sys.executable if mode == "grpo"
                        else str(Path(sys.executable).with_name("torchrun")))


def test_a_failing_trainer_fails_the_command_and_names_its_log(run, sdg_cli, manager,
                                                               fake_verl):
    config, run_dir = run
    with_train(config, mode="grpo", model="m", entrypoint="fake_verl_trainer",
               overrides=["+fake.exit=3", "+fake.steps=1"])
    result = sdg_cli(["train", str(config)], manager=manager)
    assert result.exit_code == 1
    assert "error: verl exited with code 3" in result.stderr
    assert str(run_dir / "verl" / "train.log") in result.stderr
    assert json.loads((run_dir / "verl" / "train.json").read_text())["exit_code"] == 3


def test_sdg_run_train_runs_then_trains(tmp_path, sdg_cli, manager, fake_verl):
    run_dir = tmp_path / "chained"
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        config = world.write_config(
            tmp_path / "config.yaml", server.url, run_dir, QUESTIONS,
            train={"type": "verl", "mode": "grpo", "model": "m",
                   "entrypoint": "fake_verl_trainer", "batch_size": 2},
            target={"learnable": 100})
        result = sdg_cli(["run", str(config), "--train"], manager=manager)
    assert result.exit_code == 0, result.output
    assert "is not run by `sdg run`" not in result.output
    assert "grpo data: 5 train rows" in result.output
    record = json.loads((run_dir / "verl" / "train.json").read_text())
    assert record["checkpoint"] == str(run_dir / "verl" / "checkpoints" / "global_step_3")
    assert result.output.index("checkpoint(s); stopped because") < result.output.index("step:1")


@pytest.mark.parametrize(("printed", "hint"), [
    ("ModuleNotFoundError: No module named 'uvicorn'",
     "verl's trainer imports 'uvicorn', which is not installed: pip install 'sdg-verl[verl]' "
     "installs verl with what its trainers import (verl[verl-core])"),
    ("ModuleNotFoundError: No module named 'vllm.entrypoints'",
     "GRPO's rollout engine 'vllm' is not installed: pip install 'verl[vllm]'"),
    ("ImportError: FlashAttention2 has been toggled on, but it cannot be used due to the "
     "following error: the package for FlashAttention2 doesn't seem to be installed.",
     "verl's default attention kernel needs flash-attn: install it (pip install flash-attn), "
     "or set train.attention: sdpa"),
])
def test_a_failed_launch_says_what_to_install(run, sdg_cli, manager, fake_verl, printed, hint):
    config, run_dir = run
    with_train(config, mode="grpo", model="m", entrypoint="fake_verl_trainer",
               overrides=["+fake.exit=1", "+fake.steps=0", f"+fake.print={printed}"])
    result = sdg_cli(["train", str(config)], manager=manager)
    assert result.exit_code == 1
    assert "error: verl exited with code 1" in result.stderr
    assert hint in result.stderr and str(run_dir / "verl" / "train.log") in result.stderr


def test_without_save_hf_model_a_checkpoint_has_no_model(run, sdg_cli, manager, fake_verl):
    config, run_dir = run
    with_train(config, mode="sft", model="m", entrypoint="fake_verl_trainer", batch_size=2,
               save_hf_model=False, attention="flash_attention_2")
    result = sdg_cli(["train", str(config)], manager=manager)
    assert result.exit_code == 0, result.output
    argv = json.loads((run_dir / "verl" / "train.json").read_text())["argv"]
    assert not [arg for arg in argv if "save_contents" in arg or "attn_implementation" in arg
                or "use_remove_padding" in arg]
    record = json.loads((run_dir / "verl" / "train.json").read_text())
    assert record["checkpoint"] and record["model"] is None  # the stand-in saves no weights
    assert "trained model" not in result.output


@pytest.mark.parametrize(("train", "problem"), [
    (None, "train: missing: --train needs a train: section"),
    ({"type": "verl", "mode": "grpo"}, "train.model: not set"),
])
def test_sdg_run_train_checks_the_trainer_before_any_work(tmp_path, sdg_cli, manager, train,
                                                          problem):
    run_dir = tmp_path / "never"
    sections = {"train": train} if train else {}
    config = world.write_config(tmp_path / "config.yaml", "http://127.0.0.1:9", run_dir,
                                QUESTIONS, **sections)
    result = sdg_cli(["run", str(config), "--train"], manager=manager)
    assert result.exit_code == 2, result.output
    assert problem in result.stderr
    assert not run_dir.exists()
