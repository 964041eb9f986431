"""Dense retrieval: cosine similarity of sentence embeddings, the passage matrix cached on disk.

The matrix of unit vectors is saved as ``<fingerprint>.npy`` (written to a temporary name and
renamed into place, so a crash leaves no half file under the real name). Searching is
thread-safe: the matrix is read-only and the model, shared through :mod:`sdgcore.embeddings`,
encodes queries from several threads at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sdg_local import diversity, indexdir
from sdgcore import DEFAULT_EMBEDDING_MODEL as DEFAULT_MODEL
from sdgcore import Hit, Passage, embed

if TYPE_CHECKING:
    import numpy as np

FORMAT = 1
"""Bumped whenever the cached matrix changes meaning, so old caches are not reused."""


class EmbeddingIndex:
    """Passage embeddings and the model that made them; build or reload with :meth:`build`.

    :param path: the ``.npy`` file holding the matrix.
    :param passages: the passages, one matrix row each, in order.
    :param matrix: their unit embeddings, float32, ``len(passages)`` rows.
    :param model: the embedding model's name.
    :param built: whether :meth:`build` embedded the passages (False: it loaded the cache).
    """

    def __init__(self, path: Path, passages: Sequence[Passage], matrix: np.ndarray, model: str,
                 built: bool) -> None:
        self.path = path
        self.passages = list(passages)
        self.matrix = matrix
        self.model = model
        self.built = built

    @classmethod
    def build(cls, root: Path, passages: Sequence[Passage], *, model: str = DEFAULT_MODEL,
              batch_size: int = 64, reuse: bool = True) -> EmbeddingIndex:
        """The embeddings of ``passages``, loaded from ``root / <fingerprint>.npy`` when there
        (and ``reuse``), else computed and saved there.

        :raises ValueError: two passages share an id.
        :raises sdgcore.errors.MissingExtraError: sentence-transformers is not installed.
        """
        import numpy as np

        indexdir.check_unique_ids(passages)
        settings = {"kind": "embedding", "format": FORMAT, "model": model}
        root = Path(root)
        path = root / f"{indexdir.fingerprint(passages, settings)}.npy"
        if reuse and path.is_file():
            try:
                matrix = np.load(path)
            except (OSError, ValueError):  # a damaged cache: embed again
                matrix = None
            if matrix is not None and matrix.shape[0] == len(passages):
                return cls(path, passages, matrix, model, built=False)
        matrix = embed([p.text for p in passages], model, batch_size=batch_size)
        root.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npy")
        np.save(partial, matrix)
        os.replace(partial, path)
        return cls(path, passages, matrix, model, built=True)

    def ranked(self, query: str, depth: int) -> list[Hit]:
        """Up to ``depth`` passages by cosine similarity to ``query``, raw (not de-duplicated);
        [] for a blank query."""
        import numpy as np

        if not query.strip() or depth <= 0 or not self.passages:
            return []
        scores = self.matrix @ embed([query], self.model)[0]
        depth = min(depth, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [Hit(self.passages[i], float(scores[i])) for i in top]

    def search(self, query: str, k: int) -> list[Hit]:
        """At most ``k`` hits for ``query``, best first, de-duplicated and spread across
        documents (see :func:`sdg_local.diversity.search`)."""
        return diversity.search_ranked(lambda depth: self.ranked(query, depth), k)
