"""The whole loop on CPU: verl's own SFT trainer trains the embedded SmolLM2 for three steps,
launched by ``sdg train`` with the command line it builds (the export, the launch, the
progress lines, ``train.json``, the trained model), with nothing stood in for verl but the
platform (``trainers/verl_sft_on_cpu.py`` registers a CPU one; verl 0.9.1 has none); then
``sdg eval`` scores the trained model, written back as GGUF, against the base on the
held-out questions with the embedded llama.cpp backend."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sdg_verl.gguf import from_hf
from sdgcore import embedded_model_path

TRAINERS = Path(__file__).parent / "trainers"
LOSS = re.compile(r"\bstep:(\d+) - [^\n]*?train/loss:([\d.]+)")
VAL_LOSS = re.compile(r"val/loss:([\d.]+)")


@pytest.mark.slow
def test_sdg_train_runs_verls_sft_trainer_for_three_steps(arith_run, smollm2, sdg_cli,
                                                          monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(TRAINERS))
    run_dir = arith_run({
        "type": "verl", "mode": "sft", "model": str(smollm2), "batch_size": 8,
        "micro_batch_size": 4, "val_fraction": 0.125, "max_length": 256,
        "entrypoint": "verl_sft_on_cpu",
        "overrides": ["trainer.total_training_steps=3", "trainer.save_freq=3",
                      "trainer.test_freq=3", "data.num_workers=1", "trainer.device=cpu",
                      "engine.strategy=fsdp2"]})
    result = sdg_cli(["train", str(run_dir)])
    assert result.exit_code == 0, result.output[-4000:]
    out = run_dir / "verl"
    argv = (out / "train.sh").read_text()
    # no flash-attn here: `attention: auto` picks sdpa; the learning rate is sdg's SFT default
    assert "+model.override_config.attn_implementation=sdpa" in argv
    assert "model.use_remove_padding=False" in argv and "optim.lr=1e-05" in argv

    record = json.loads((out / "train.json").read_text())
    checkpoint = out / "checkpoints" / "global_step_3"
    assert record["exit_code"] == 0 and record["steps"] == record["total_steps"] == 3
    assert record["checkpoint"] == str(checkpoint)
    assert record["model"] == str(checkpoint / "huggingface")
    progress = [line.split(",")[0] for line in result.output.splitlines()
                if line.startswith("[sdg train]")]
    assert progress == [f"[sdg train] step {i}/3" for i in (1, 2, 3)]
    assert f"trained model (Hugging Face format): {checkpoint / 'huggingface'}" in result.output

    log = (out / "train.log").read_text()
    losses = [float(loss) for _, loss in LOSS.findall(log)]
    assert len(losses) == 3 and all(loss > 0 for loss in losses)
    assert losses[-1] < losses[0], losses  # three steps at 1e-5 lower SmolLM2's loss on sums
    assert VAL_LOSS.search(log), "verl validated the held-out rows"
    assert (out / "hydra" / ".hydra" / "config.yaml").is_file()  # not in ./outputs
    assert_trained_model(Path(record["model"]), smollm2)

    # the trained model, back in GGUF, against the base on the held-out sums: `sdg eval`
    trained = from_hf(Path(record["model"]), run_dir / "trained.gguf", like=embedded_model_path())
    result = sdg_cli(["eval", str(run_dir), "-m", "base=student",
                      "-m", f"trained={{backend: llamacpp, model: '{trained}'}}"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "eval.json").read_text())
    base, after = report["models"]
    assert report["split"] == "val" and report["questions"] == 8 and report["n"] == 2
    held_out = set(json.loads((out / "export.json").read_text())["sample_ids"]["val"])
    assert set(base["per_sample"]) == set(after["per_sample"]) == held_out
    assert base["failed"] == after["failed"] == 0 and after["model"] == str(trained)
    lines = result.output.splitlines()
    assert any(line.split()[:2] == ["pass", "rate"] for line in lines), result.output


def assert_trained_model(trained: Path, base: Path) -> None:
    """The checkpoint's Hugging Face model loads, its weights moved, and it answers a sum."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(trained)
    before = AutoModelForCausalLM.from_pretrained(base).state_dict()
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert any(not torch.equal(after[k], before[k]) for k in after)
    tokenizer = AutoTokenizer.from_pretrained(trained)
    chat = tokenizer.apply_chat_template([{"role": "user", "content": "What is 3 + 4?"}],
                                         add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True)
    answer = model.generate(**chat, max_new_tokens=24, do_sample=False)
    assert "7" in tokenizer.decode(answer[0][chat["input_ids"].shape[1]:])
