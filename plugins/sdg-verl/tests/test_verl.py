"""verl 0.9 itself reads what sdg-verl writes, on CPU: its Hydra configs accept both command
lines key by key, ``RLHFDataset`` and ``MultiTurnSFTDataset`` load, batch and tokenize the
exported files with a real chat template (SmolLM2's, read from the bundled GGUF), and its
reward loader loads the reward file by path and scores right and wrong answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sdg_verl import launch
from sdg_verl.export import RunFacts, export
from sdg_verl.handoff import datasets_of
from sdg_verl.plugin import VerlConfig
from sdgcore import AnswerFormat, Sample, Source

verl_dir = Path(pytest.importorskip(
    "verl", reason="verl is in sdg-verl's test extra: pip install -e 'plugins/sdg-verl[test]'"
).__file__).parent
CONFIGS = verl_dir / "trainer" / "config"

FACTS = RunFacts(seed=3, student={"model": "smollm2", "n": 4, "temperature": 0.7},
                 equivalence={"tolerance": 1e-6, "abs_tolerance": 1e-9, "symbolic": True})


def sample(i: int, category: str, pass_rate: float) -> Sample:
    return Sample(task="arith", question=f"What is {i} + {i}?",
                  reference=f"{i} + {i} = {2 * i}. <answer>{2 * i}</answer>",
                  answer=str(2 * i), pass_rate=pass_rate, category=category,
                  answer_format=AnswerFormat(tag="answer"),
                  source=Source(kind="test", ref=str(i)))


@pytest.fixture(scope="module")
def tokenizer():
    """SmolLM2-135M-Instruct's tokenizer and chat template, from the GGUF the embedded model
    ships (transformers reads GGUF metadata with the gguf package)."""
    from transformers import AutoTokenizer

    from sdgcore import embedded_model_path

    gguf = embedded_model_path()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    assert tok.chat_template, "the GGUF carries SmolLM2's chat template"
    return tok


@pytest.fixture
def run(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    samples = [sample(i, "learnable", 0.5) for i in range(1, 13)]
    samples += [sample(i, "too_hard", 0.0) for i in range(20, 26)]
    for category in ("learnable", "too_hard"):
        (run_dir / f"{category}.jsonl").write_text(
            "".join(s.to_json() + "\n" for s in samples if s.category == category))
    return run_dir


def overrides(argv: list[str], entrypoint: str) -> list[str]:
    """The Hydra overrides of a command line: what follows ``-m ENTRYPOINT``."""
    return argv[argv.index(entrypoint) + 1:]


def compose(config_name: str, args: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIGS), version_base=None):
        return hydra_compose(config_name=config_name, overrides=args)


def test_verls_hydra_config_takes_the_grpo_command_key_by_key(run):
    cfg = VerlConfig(mode="grpo", model="/models/smollm2", lora_rank=8, lr=1e-6, attention="sdpa",
                     max_prompt_length=512, max_response_length=256, dynamic_sampling=True,
                     experiment_name="e1", overrides=["trainer.save_freq=5"])
    files = {"train": run / "verl/grpo_train.parquet", "val": run / "verl/grpo_val.parquet"}
    argv = launch.command(cfg, files, run)
    config = compose("ppo_trainer", overrides(argv, launch.GRPO_ENTRYPOINT))
    assert config.algorithm.adv_estimator == "grpo"
    assert config.data.train_files == str(files["train"])
    assert config.data.max_prompt_length == 512
    arr = config.actor_rollout_ref
    assert arr.model.path == "/models/smollm2" and arr.model.lora_rank == 8
    assert arr.actor.optim.lr == 1e-6 and arr.rollout.n == 8
    assert arr.model.override_config.attn_implementation == "sdpa"
    assert arr.model.use_remove_padding is False
    assert list(arr.actor.checkpoint.save_contents) == ["model", "optimizer", "extra",
                                                        "hf_model"]
    # verl 0.9 reads the reward from reward.custom_reward_function (the old top-level key is
    # ignored), and algorithm.filter_groups is in its schema (read by the v1 trainer)
    assert config.reward.custom_reward_function.path == str(launch.reward_path())
    assert config.reward.custom_reward_function.name == "compute_score"
    assert config.algorithm.filter_groups.enable is True
    assert config.algorithm.filter_groups.metric == "reward"
    assert config.trainer.use_v1 is True
    assert config.trainer.default_local_dir == str(run / "verl" / "checkpoints")
    assert list(config.trainer.logger) == ["console"] and config.trainer.save_freq == 5


def test_verls_hydra_config_takes_the_sft_command_key_by_key(run):
    cfg = VerlConfig(mode="sft", model="/models/smollm2", lora_rank=16, lr=2e-5,
                     max_length=2048, epochs=3, attention="eager")
    files = {"train": run / "verl/sft_train.parquet", "val": run / "verl/sft_val.parquet"}
    argv = launch.command(cfg, files, run)
    assert argv[:4] == ["torchrun", "--standalone", "--nnodes=1", "--nproc_per_node=1"]
    config = compose("sft_trainer_engine", overrides(argv, launch.SFT_ENTRYPOINT))
    assert config.data.messages_key == "messages"
    assert config.data.train_files == str(files["train"]) and config.data.max_length == 2048
    assert config.model.path == "/models/smollm2" and config.model.lora_rank == 16
    assert config.optim.lr == 2e-5 and config.trainer.total_epochs == 3
    assert config.engine.strategy.startswith("fsdp")
    assert config.model.override_config.attn_implementation == "eager"
    assert config.model.use_remove_padding is False
    assert list(config.checkpoint.save_contents) == ["model", "optimizer", "extra", "hf_model"]


def test_a_key_verl_does_not_have_fails_composition(run):
    from hydra.errors import ConfigCompositionException

    cfg = VerlConfig(mode="grpo", model="m", overrides=["trainer.no_such_key=1"])
    argv = launch.command(cfg, {"train": run / "t", "val": run / "v"}, run)
    with pytest.raises(ConfigCompositionException, match="no_such_key"):
        compose("ppo_trainer", overrides(argv, launch.GRPO_ENTRYPOINT))


def test_rlhf_dataset_loads_batches_and_tokenizes_the_grpo_export(run, tokenizer, tmp_path):
    from omegaconf import OmegaConf
    from torch.utils.data import DataLoader
    from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn

    result = export(datasets_of(run), VerlConfig(mode="grpo", model="m", val_fraction=0.25,
                                                 system_prompt="Answer briefly."),
                    FACTS, run / "verl")
    config = OmegaConf.create({"prompt_key": "prompt", "max_prompt_length": 256,
                               "filter_overlong_prompts": True, "truncation": "error",
                               "cache_dir": str(tmp_path / "cache")})
    data = RLHFDataset(str(result.files["train"]), tokenizer, config)
    assert len(data) == 9  # 12 learnable, a quarter held out; none too long to keep
    row = data[0]
    assert row["raw_prompt"][0] == {"role": "system", "content": "Answer briefly."}
    assert row["raw_prompt"][1]["role"] == "user"
    asked = int(row["raw_prompt"][1]["content"].split("What is ")[1].split(" +")[0])
    assert row["reward_model"]["ground_truth"] == str(2 * asked)
    batch = next(iter(DataLoader(data, batch_size=4, collate_fn=collate_fn)))
    assert len(batch["raw_prompt"]) == 4
    truths = [r["ground_truth"] for r in batch["reward_model"]]
    assert all(t.isdigit() for t in truths)
    assert [e["answer_tag"] for e in batch["extra_info"]] == ["answer"] * 4
    ids = tokenizer.apply_chat_template(list(batch["raw_prompt"][0]),
                                        add_generation_prompt=True, tokenize=True)
    text = tokenizer.decode(ids)
    assert "Answer briefly." in text and "What is" in text
    assert text.rstrip().endswith("assistant")  # the generation prompt follows the chat

    # a prompt longer than max_prompt_length is filtered out by verl's own length check
    short = OmegaConf.merge(config, {"max_prompt_length": 8})
    assert len(RLHFDataset(str(result.files["train"]), tokenizer, short)) == 0


def test_multiturn_sft_dataset_tokenizes_the_sft_export(run, tokenizer):
    from omegaconf import OmegaConf
    from verl.utils.dataset.multiturn_sft_dataset import MultiTurnSFTDataset

    result = export(datasets_of(run), VerlConfig(mode="sft", model="m", val_fraction=0.2),
                    FACTS, run / "verl")
    config = OmegaConf.create({"messages_key": "messages", "max_length": 256,
                               "truncation": "error", "pad_mode": "right"})
    data = MultiTurnSFTDataset(str(result.files["train"]), tokenizer, config)
    n_train = json.loads((run / "verl" / "export.json").read_text())["rows"]["train"]
    assert len(data) == n_train == 15  # 18 samples; 2 of 12 and 1 of 6 held out
    item = data[0]
    ids, mask = item["input_ids"], item["loss_mask"]
    assert ids.shape[0] == 256 and item["attention_mask"].sum() > 0
    learned = tokenizer.decode(ids[mask.bool()])
    assert "<answer>" in learned  # the loss covers the assistant's reference response
    prompt_part = tokenizer.decode(ids[(~mask.bool()) & item["attention_mask"].bool()])
    assert "What is" in prompt_part  # and not the question


def test_verls_reward_loader_scores_with_the_reward_file():
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config = OmegaConf.create({"reward": {"custom_reward_function": {
        "path": str(launch.reward_path()), "name": "compute_score",
        "reward_kwargs": {}}}})
    score = get_custom_reward_fn(config)
    info = {"answer_tag": "answer", "equivalence": {"tolerance": 1e-6}, "format_reward": 0.1}
    assert score(data_source="sdg/arith", solution_str="So <answer>12</answer>",
                 ground_truth="12", extra_info=info) == 1.0
    assert score(data_source="sdg/arith", solution_str="<answer>12.0</answer>",
                 ground_truth="12", extra_info=info) == 1.0
    assert score(data_source="sdg/arith", solution_str="<answer>13</answer>",
                 ground_truth="12", extra_info=info) == 0.1
    assert score(data_source="sdg/arith", solution_str="I think 13",
                 ground_truth="12", extra_info=info) == 0.0
