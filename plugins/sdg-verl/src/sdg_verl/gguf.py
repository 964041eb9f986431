"""A GGUF model as a Hugging Face model directory (safetensors, config, tokenizer and chat
template), which verl's trainers load: the embedded SmolLM2 student can be trained, and the
GPU tests have a tiny model without a download.

transformers dequantizes the GGUF weights (it reads them with the ``gguf`` package); the
result is float32.
"""

from __future__ import annotations

from pathlib import Path

from sdgcore import import_optional, write_atomic

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
