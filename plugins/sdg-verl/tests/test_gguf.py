"""``from_hf``: a Hugging Face llama model (as verl saves one) written back as a GGUF that
llama.cpp loads, round-tripped through ``to_hf`` with the embedded SmolLM2 model."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from sdg_verl.gguf import from_hf
from sdgcore import SdgError

QUESTION = [{"role": "user", "content": "What is 2+2?"}]


@pytest.fixture(scope="module")
def base():
    from sdgcore import embedded_model_path

    return embedded_model_path()


@pytest.fixture(scope="module")
def hf_dir(smollm2):
    return smollm2


@pytest.fixture(scope="module")
def converted(hf_dir, base, tmp_path_factory):
    return from_hf(hf_dir, tmp_path_factory.mktemp("gguf") / "smollm2.gguf", like=base)


def answer(model_path) -> str:
    """llama.cpp's greedy answer to ``QUESTION``."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_path), n_ctx=512, verbose=False)
    try:
        out = llm.create_chat_completion(QUESTION, temperature=0, max_tokens=16)
    finally:
        llm.close()
    return out["choices"][0]["message"]["content"]


@pytest.fixture(scope="module")
def converted_answer(converted):
    return answer(converted)


def gguf_tensors(path, *names: str) -> list[np.ndarray]:
    """The tensors ``names`` of the GGUF file at ``path``, as float32."""
    import gguf

    tensors = {t.name: t for t in gguf.GGUFReader(path).tensors}  # reading takes seconds
    return [gguf.quants.dequantize(tensors[n].data, tensors[n].tensor_type) for n in names]


def hf_tensor(hf_dir, key: str) -> np.ndarray:
    from safetensors import safe_open

    with safe_open(hf_dir / "model.safetensors", framework="np") as st:
        return st.get_tensor(key)


@pytest.mark.slow
def test_the_round_trip_answers_as_the_original_gguf(base, converted, converted_answer):
    import gguf

    assert "4" in converted_answer
    assert converted_answer == answer(base)
    assert [p.name for p in converted.parent.iterdir()] == [converted.name]  # no temp file
    original, written = gguf.GGUFReader(base), gguf.GGUFReader(converted)
    assert [t.name for t in written.tensors] == [t.name for t in original.tensors]
    assert {t.tensor_type.name for t in written.tensors} == {"F16", "F32"}
    assert written.fields["general.file_type"].contents() == gguf.LlamaFileType.MOSTLY_F16
    for key in ("general.architecture", "llama.block_count", "tokenizer.chat_template"):
        assert written.fields[key].contents() == original.fields[key].contents()


@pytest.mark.slow
def test_the_weights_come_from_the_hf_directory(base, hf_dir, converted):
    q, ffn_down = gguf_tensors(converted, "blk.5.attn_q.weight", "blk.7.ffn_down.weight")
    hf_q = hf_tensor(hf_dir, "model.layers.5.self_attn.q_proj.weight")
    # llama.cpp's LlamaModel.permute with 9 heads: each head's rotary halves interleaved
    permuted = hf_q.reshape(9, 2, 32, 576).swapaxes(1, 2).reshape(576, 576)
    np.testing.assert_array_equal(q, permuted.astype(np.float16).astype(np.float32))
    # ... which is the layout of the original GGUF (its Q4_1 values, rounded to F16)
    (original_q,) = gguf_tensors(base, "blk.5.attn_q.weight")
    np.testing.assert_allclose(q, original_q, atol=4e-3)
    hf_down = hf_tensor(hf_dir, "model.layers.7.mlp.down_proj.weight")
    np.testing.assert_array_equal(ffn_down, hf_down.astype(np.float16).astype(np.float32))


@pytest.mark.slow
def test_a_changed_weight_changes_what_llama_cpp_says(hf_dir, converted_answer, tmp_path):
    from safetensors.numpy import load_file, save_file

    changed = tmp_path / "hf"
    changed.mkdir()
    (changed / "config.json").write_text((hf_dir / "config.json").read_text())
    weights = load_file(hf_dir / "model.safetensors")
    weights["model.norm.weight"] = np.zeros_like(weights["model.norm.weight"])
    save_file(weights, changed / "model.safetensors")
    out = tmp_path / "changed.gguf"
    # the command line's --like defaults to the embedded model (base)
    cli = subprocess.run([sys.executable, "-m", "sdg_verl.gguf", str(changed), str(out)],
                         capture_output=True, text=True, check=True)
    assert cli.stdout.strip() == str(out)
    assert not gguf_tensors(out, "output_norm.weight")[0].any()
    assert answer(out) != converted_answer


def test_only_llama_models_are_written(base, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(SdgError, match="'gpt2' model as GGUF; only 'llama'"):
        from_hf(tmp_path, tmp_path / "m.gguf", like=base)
    assert not (tmp_path / "m.gguf").exists()


@pytest.mark.slow
def test_a_missing_tensor_leaves_no_file(base, tmp_path):
    from safetensors.numpy import save_file

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    save_file({"model.norm.weight": np.ones(576, np.float32)}, tmp_path / "model.safetensors")
    with pytest.raises(SdgError, match="no tensor for 'token_embd.weight'"):
        from_hf(tmp_path, tmp_path / "m.gguf", like=base)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
