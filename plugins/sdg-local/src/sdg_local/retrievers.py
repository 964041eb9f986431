"""The ``bm25``, ``embedding`` and ``hybrid`` retrievers and their configs.

Each keeps its index in the run directory (``ctx.workdir("retriever", <name>)``) under a
fingerprint of the passages and the config, so a resumed run reuses it and a changed corpus
gets a new one. Every retriever returns de-duplicated hits, spread across documents by the
rule in :mod:`sdg_local.diversity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from sdgcore import DEFAULT_EMBEDDING_MODEL as DEFAULT_MODEL
from sdgcore import Hit, Passage, Retriever, import_optional

if TYPE_CHECKING:
    from sdg_local.bm25 import BM25Index
    from sdg_local.embedding import EmbeddingIndex
    from sdgcore import RunContext

_I = TypeVar("_I")

EMBEDDING_EXTRA = "sdg-local[embedding]"
"""The requirement that provides what the ``embedding`` and ``hybrid`` retrievers need."""


@attrs.frozen
class BM25Config:
    """``retriever:`` for ``type: bm25``: a tantivy index in the run directory.

    Tantivy scores with BM25 at its fixed parameters ``k1 = 1.2``, ``b = 0.75``; they cannot be
    changed.

    :param language: the language whose stop words are dropped and whose stemmer is applied, or
        ``none`` to index words as they are (lower-cased).
    """

    language: str = attrs.field(default="english")

    @language.validator
    def _known_language(self, attribute: attrs.Attribute, value: str) -> None:
        from sdg_local.bm25 import LANGUAGES

        if value != "none" and value not in LANGUAGES:
            raise ValueError(f"'language' must be none or one of {', '.join(sorted(LANGUAGES))}:"
                             f" {value!r}")


@attrs.frozen
class EmbeddingConfig:
    """``retriever:`` for ``type: embedding``: cosine similarity of sentence embeddings (needs
    ``sdg-local[embedding]``).

    :param model: the sentence-transformers model: ``all-MiniLM-L6-v2`` (shipped in a package),
        a local directory, or a model already in the Hugging Face cache; never downloaded.
    :param batch_size: passages embedded per batch while indexing.
    """

    model: str = DEFAULT_MODEL
    batch_size: int = attrs.field(default=64, validator=attrs.validators.ge(1))


@attrs.frozen
class HybridConfig:
    """``retriever:`` for ``type: hybrid``: reciprocal rank fusion of ``bm25`` and
    ``embedding`` (needs ``sdg-local[embedding]``).

    A passage scores ``sum(1 / (rrf_k + rank))`` over the two ranked lists it appears in.

    :param rrf_k: the fusion constant; larger values flatten the advantage of the top ranks.
    :param depth: each retriever is asked for ``depth * k`` candidates before fusing.
    :param bm25: the ``bm25`` half: the keys of ``type: bm25`` (without ``type``).
    :param embedding: the ``embedding`` half: the keys of ``type: embedding`` (without
        ``type``).
    """

    rrf_k: int = attrs.field(default=60, validator=attrs.validators.ge(1))
    depth: int = attrs.field(default=4, validator=attrs.validators.ge(1))
    bm25: BM25Config = attrs.field(factory=BM25Config)
    embedding: EmbeddingConfig = attrs.field(factory=EmbeddingConfig)


def _require_embeddings(feature: str) -> None:
    import_optional("sentence_transformers", extra=EMBEDDING_EXTRA, feature=feature)


class BM25Retriever(Retriever):
    """BM25 over a tantivy index on disk."""

    name = "bm25"
    Config = BM25Config

    def __init__(self, config: BM25Config) -> None:
        super().__init__(config)
        self.index: BM25Index | None = None

    def build(self, ctx: RunContext, passages: Sequence[Passage]) -> None:
        """Open the index of ``passages`` in the run directory, building it if it is missing
        or incomplete."""
        from sdg_local.bm25 import BM25Index

        self.index = BM25Index.build(ctx.workdir("retriever", self.name), passages,
                                     language=self.config.language)

    def search(self, query: str, k: int) -> list[Hit]:
        """The best ``k`` passages for ``query`` by BM25 score (thread-safe)."""
        return _built(self.index, self).search(query, k)


class EmbeddingRetriever(Retriever):
    """Dense retrieval with sentence-transformers."""

    name = "embedding"
    Config = EmbeddingConfig

    def __init__(self, config: EmbeddingConfig) -> None:
        _require_embeddings(f"retriever {self.name!r}")
        super().__init__(config)
        self.index: EmbeddingIndex | None = None

    def build(self, ctx: RunContext, passages: Sequence[Passage]) -> None:
        """Embed ``passages``, or load their embeddings cached in the run directory."""
        from sdg_local.embedding import EmbeddingIndex

        self.index = EmbeddingIndex.build(ctx.workdir("retriever", self.name), passages,
                                          model=self.config.model,
                                          batch_size=self.config.batch_size)

    def search(self, query: str, k: int) -> list[Hit]:
        """The best ``k`` passages for ``query`` by cosine similarity (thread-safe)."""
        return _built(self.index, self).search(query, k)


class HybridRetriever(Retriever):
    """Reciprocal rank fusion of bm25 and embedding."""

    name = "hybrid"
    Config = HybridConfig

    def __init__(self, config: HybridConfig) -> None:
        _require_embeddings(f"retriever {self.name!r}")
        super().__init__(config)
        self.bm25 = BM25Retriever(config.bm25)
        self.embedding = EmbeddingRetriever(config.embedding)

    def build(self, ctx: RunContext, passages: Sequence[Passage]) -> None:
        """Build (or reuse) both halves; each keeps its own directory."""
        self.bm25.build(ctx, passages)
        self.embedding.build(ctx, passages)

    def search(self, query: str, k: int) -> list[Hit]:
        """The best ``k`` passages for ``query`` by fused rank; ``Hit.score`` is the fused
        score (thread-safe)."""
        from sdg_local import diversity
        from sdg_local.hybrid import rrf

        bm25 = _built(self.bm25.index, self.bm25)
        embedding = _built(self.embedding.index, self.embedding)

        def fetch(depth: int) -> tuple[list[Hit], bool]:
            lists = [bm25.ranked(query, depth), embedding.ranked(query, depth)]
            exhausted = all(len(hits) < depth for hits in lists)
            return rrf(lists, rrf_k=self.config.rrf_k), exhausted

        return diversity.search(fetch, k, depth=self.config.depth * k)


def _built(index: _I | None, retriever: Retriever) -> _I:
    if index is None:
        raise RuntimeError(f"retriever {retriever.name!r}: search called before build")
    return index
