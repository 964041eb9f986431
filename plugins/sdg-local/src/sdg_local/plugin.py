"""Registers the ``local`` task and the ``bm25``/``embedding``/``hybrid`` retrievers.

None is built yet: their configs are final, their work is not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import attrs

from sdgcore import Retriever, Task, hookimpl
from sdgcore.config.values import RetrieverChoice


@attrs.frozen
class LocalConfig:
    """``task:`` for ``type: local``.

    :param paths: files or folders of documents (PDF, txt, md, html).
    :param domain: domain terms merged with the keywords the teacher extracts.
    :param chunk_size: the target chunk size, in ``chunk_unit``.
    :param chunk_overlap: overlap between neighbouring chunks, in ``chunk_unit``.
    :param chunk_unit: ``tokens`` or ``chars``.
    :param retriever: the retriever (default ``bm25``).
    :param top_k: chunks retrieved per query.
    :param keywords: how many keywords the teacher extracts.
    :param check_answerable: have the judge check each sample is answerable from its context.
    :param model: the model role that generates.
    """

    paths: list[Path]
    domain: list[str] = attrs.field(factory=list)
    chunk_size: int = attrs.field(default=512, validator=attrs.validators.ge(16))
    chunk_overlap: int = attrs.field(default=64, validator=attrs.validators.ge(0))
    chunk_unit: Literal["tokens", "chars"] = "tokens"
    retriever: RetrieverChoice | None = None
    top_k: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    keywords: int = attrs.field(default=30, validator=attrs.validators.ge(0))
    check_answerable: bool = False
    model: str = "teacher"


@attrs.frozen
class BM25Config:
    """``retriever:`` for ``type: bm25`` (a tantivy index in the run directory)."""

    k1: float = 1.2
    b: float = 0.75


@attrs.frozen
class EmbeddingConfig:
    """``retriever:`` for ``type: embedding`` (needs ``sdg-local[embedding]``)."""

    model: str = "all-MiniLM-L6-v2"
    batch_size: int = 64


@attrs.frozen
class HybridConfig:
    """``retriever:`` for ``type: hybrid``: reciprocal rank fusion of bm25 and embedding."""

    rrf_k: int = 60


class LocalTask(Task):
    """Documents -> chunks -> keywords -> BM25 -> grounded generation."""

    name = "local"
    Config = LocalConfig
    status = "planned"


class BM25Retriever(Retriever):
    """BM25 over a tantivy index on disk."""

    name = "bm25"
    Config = BM25Config
    status = "planned"


class EmbeddingRetriever(Retriever):
    """Dense retrieval with sentence-transformers."""

    name = "embedding"
    Config = EmbeddingConfig
    status = "planned"


class HybridRetriever(Retriever):
    """Reciprocal rank fusion of bm25 and embedding."""

    name = "hybrid"
    Config = HybridConfig
    status = "planned"


@hookimpl
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    register(LocalTask)


@hookimpl
def sdg_register_retrievers(register: Callable[[type[Retriever]], None]) -> None:
    for cls in (BM25Retriever, EmbeddingRetriever, HybridRetriever):
        register(cls)
