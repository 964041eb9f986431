"""A GGUF model as a Hugging Face model directory (safetensors, config, tokenizer and chat
template), which verl's trainers load: the embedded SmolLM2 student can be trained, and the
GPU tests have a tiny model without a download; and back (``from_hf``), so that a trained
model can be scored with the embedded ``llamacpp`` backend.

transformers dequantizes the GGUF weights (it reads them with the ``gguf`` package); the
result is float32. ``from_hf`` writes F16 weights and F32 norms.

    python -m sdg_verl.gguf HF_DIR OUT.gguf [--like BASE.gguf]
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sdgcore import SdgError, import_optional, write_atomic

MARKER = ".sdg-converted"


def to_hf(gguf: Path, out_dir: Path) -> Path:
    """Write ``gguf`` as a Hugging Face model directory at ``out_dir`` and return it; a
    directory already converted from the same file is reused.

    :raises MissingExtraError: transformers, torch or gguf is not installed.
    """
    source = f"{gguf.resolve()} {gguf.stat().st_size} {gguf.stat().st_mtime_ns}\n"
    marker = out_dir / MARKER
    if marker.is_file() and marker.read_text() == source:
        return out_dir
    transformers = import_optional("transformers", extra="sdg-verl[test]",
                                   feature="converting a GGUF model")
    import_optional("gguf", extra="sdg-verl[test]", feature="converting a GGUF model")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(gguf.parent),
                                                              gguf_file=gguf.name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent),
                                                           gguf_file=gguf.name)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    write_atomic(marker, source)
    return out_dir


def from_hf(hf_dir: Path, out: Path, *, like: Path) -> Path:
    """Write the Hugging Face model in ``hf_dir`` as a GGUF file at ``out`` and return it.

    ``like`` is the GGUF the model was converted from (:func:`to_hf`): its metadata
    (architecture, hyperparameters, tokenizer, chat template) is copied, and every tensor is
    taken from ``hf_dir``'s safetensors, by name: 2-D weights as F16, 1-D norms as F32, q and
    k permuted as llama.cpp's converter does. Tied embeddings stay tied; an ``lm_head`` in
    ``hf_dir`` is written as ``output.weight``. ``out`` is written atomically. Only llama
    models (Llama, SmolLM2, ...) are supported.

    :raises SdgError: ``hf_dir`` or ``like`` is not a llama model, ``hf_dir`` has no
        config.json or safetensors, or a tensor of ``like`` is missing there or has another shape.
    :raises MissingExtraError: gguf, safetensors or torch is not installed.
    """
    feature = "converting a model to GGUF"
    gg = import_optional("gguf", extra="sdg-verl[test]", feature=feature)
    safetensors = import_optional("safetensors", extra="sdg-verl[test]", feature=feature)
    import_optional("torch", extra="sdg-verl[test]", feature=feature)
    import numpy as np  # a dependency of gguf

    if not (hf_dir / "config.json").is_file():
        raise SdgError(f"{hf_dir}: not a Hugging Face model directory (no config.json)")
    model_type = json.loads((hf_dir / "config.json").read_text()).get("model_type")
    if model_type != "llama":
        raise SdgError(f"{hf_dir}: cannot write a {model_type!r} model as GGUF; only 'llama' "
                       "models are supported")
    reader = gg.GGUFReader(like)
    fields = {name: field.contents() for name, field in reader.fields.items()}
    arch = fields[gg.Keys.General.ARCHITECTURE]
    if arch != "llama":
        raise SdgError(f"{like}: cannot take metadata from a {arch!r} GGUF; only 'llama' is "
                       "supported")
    heads = {"attn_q.weight": fields[gg.Keys.Attention.HEAD_COUNT.format(arch=arch)]}
    heads["attn_k.weight"] = fields.get(gg.Keys.Attention.HEAD_COUNT_KV.format(arch=arch),
                                        heads["attn_q.weight"])
    names = gg.get_tensor_name_map(gg.MODEL_ARCH.LLAMA,
                                   fields[gg.Keys.LLM.BLOCK_COUNT.format(arch=arch)])
    files = sorted(hf_dir.glob("*.safetensors"))
    if not files:
        raise SdgError(f"{hf_dir}: no *.safetensors file")
    tensors = {}  # GGUF name -> (open safetensors file, HF name)
    for file in files:
        st = safetensors.safe_open(file, framework="pt")
        for key in st.keys():
            tensors[names.get_name(key, try_suffixes=(".weight", ".bias")) or key] = (st, key)
    shapes = {t.name: tuple(int(n) for n in reversed(t.shape)) for t in reader.tensors}
    if "output.weight" in tensors:
        shapes.setdefault("output.weight", shapes["token_embd.weight"])
    elif "token_embd.weight" in tensors:
        tensors["output.weight"] = tensors["token_embd.weight"]

    writer = gg.GGUFWriter(None, arch)
    for name, field in reader.fields.items():
        if name not in (gg.Keys.General.ARCHITECTURE, gg.Keys.General.FILE_TYPE) \
                and not name.startswith("GGUF."):
            sub_type = field.types[-1] if field.types[0] == gg.GGUFValueType.ARRAY else None
            writer.add_key_value(name, fields[name], field.types[0], sub_type=sub_type)
    writer.add_file_type(gg.LlamaFileType.MOSTLY_F16)
    dtypes = {name: np.dtype(np.float16 if len(shape) == 2 else np.float32)
              for name, shape in shapes.items()}
    for name, shape in shapes.items():
        writer.add_tensor_info(name, shape, dtypes[name],
                               int(np.prod(shape)) * dtypes[name].itemsize)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        writer.write_header_to_file(tmp)
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for name, shape in shapes.items():
            if name not in tensors:
                raise SdgError(f"{hf_dir}: no tensor for {name!r} of {like}")
            st, key = tensors[name]
            weights = st.get_tensor(key).float().numpy()
            if weights.shape != shape:
                raise SdgError(f"{hf_dir}: {key} has shape {weights.shape}, but {name} of "
                               f"{like} has {shape}")
            if (kind := name.split(".", 2)[-1]) in heads:
                weights = _permute(weights, heads[kind])
            writer.write_tensor_data(weights.astype(dtypes[name]))
        writer.close()
        os.replace(tmp, out)
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return out


def _permute(weights, n_head: int):
    """llama.cpp's ``LlamaModel.permute``: each head's rotary halves as interleaved pairs."""
    return (weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sdg_verl.gguf",
                                     description="Write a Hugging Face llama model as GGUF.")
    parser.add_argument("hf_dir", type=Path, help="the Hugging Face model directory")
    parser.add_argument("out", type=Path, help="the GGUF file to write")
    parser.add_argument("--like", type=Path, default=None,
                        help="the GGUF it was converted from (metadata, tokenizer); default: "
                             "the embedded model's")
    args = parser.parse_args()
    try:
        if args.like is None:
            from sdgcore import embedded_model_path

            args.like = embedded_model_path()
        print(from_hf(args.hf_dir, args.out, like=args.like))
    except SdgError as exc:
        raise SystemExit(f"error: {exc}") from None
