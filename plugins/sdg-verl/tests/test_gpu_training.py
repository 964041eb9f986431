"""Real training through ``sdg train``: a few SFT and GRPO steps of verl 0.9 on SmolLM2-135M,
converted from the GGUF the embedded model ships (``@pytest.mark.gpu``: skipped without a
CUDA device; GRPO also needs vllm). The conversion itself runs on CPU."""

from __future__ import annotations

import json
import time

import pytest

from sdg_verl.gguf import MARKER, to_hf

try:
    import torch
    CUDA = torch.cuda.is_available()
except ImportError:  # pragma: no cover - torch is in the test extra
    CUDA = False


@pytest.mark.slow
def test_the_bundled_gguf_converts_to_a_model_transformers_loads(smollm2):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    files = {p.name for p in smollm2.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", MARKER} <= files
    model = AutoModelForCausalLM.from_pretrained(smollm2)
    tokenizer = AutoTokenizer.from_pretrained(smollm2)
    assert model.config.model_type == "llama"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    chat = tokenizer.apply_chat_template([{"role": "user", "content": "What is 2+2?"}],
                                         add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True)
    out = model.generate(**chat, max_new_tokens=16, do_sample=False)
    assert "4" in tokenizer.decode(out[0][chat["input_ids"].shape[1]:])
    from sdgcore import embedded_model_path

    written = (smollm2 / "model.safetensors").stat().st_mtime_ns
    assert to_hf(embedded_model_path(), smollm2) == smollm2  # converted once, then reused
    assert (smollm2 / "model.safetensors").stat().st_mtime_ns == written


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("mode", ["sft", "grpo"])
def test_a_few_training_steps_complete(arith_run, sdg_cli, smollm2, mode):
    if mode == "grpo":
        pytest.importorskip("vllm", reason="GRPO rollouts need vllm")
    steps = 3
    train = {"type": "verl", "mode": mode, "model": str(smollm2), "batch_size": 8,
             "micro_batch_size": 4, "val_fraction": 0.125, "rollout_n": 4,
             "max_length": 256, "max_prompt_length": 128, "max_response_length": 64,
             "overrides": [f"trainer.total_training_steps={steps}", f"trainer.save_freq={steps}",
                           "trainer.test_freq=-1"]}
    if mode == "grpo":
        train["overrides"] += ["actor_rollout_ref.rollout.gpu_memory_utilization=0.3",
                               "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
                               "trainer.val_before_train=False"]
    run_dir = arith_run(train)
    started = time.monotonic()
    result = sdg_cli(["train", str(run_dir)])
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output[-4000:]
    record = json.loads((run_dir / "verl" / "train.json").read_text())
    assert record["exit_code"] == 0 and record["steps"] == steps
    assert record["checkpoint"].endswith(f"global_step_{steps}")
    assert record["model"] == record["checkpoint"] + "/huggingface"  # save_hf_model
    print(f"{mode}: {steps} steps on {torch.cuda.get_device_name()} in {seconds:.0f}s "
          f"({record['seconds']:.0f}s in verl)")
