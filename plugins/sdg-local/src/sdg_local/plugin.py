"""Registers the ``local`` task and the ``bm25``/``embedding``/``hybrid`` retrievers."""

from __future__ import annotations

from collections.abc import Callable

from sdg_local.retrievers import (
    BM25Config,
    BM25Retriever,
    EmbeddingConfig,
    EmbeddingRetriever,
    HybridConfig,
    HybridRetriever,
)
from sdg_local.task import LocalConfig, LocalTask
from sdgcore import Retriever, Task, hookimpl

__all__ = ["BM25Config", "BM25Retriever", "EmbeddingConfig", "EmbeddingRetriever",
           "HybridConfig", "HybridRetriever", "LocalConfig", "LocalTask"]


@hookimpl
def sdg_register_tasks(register: Callable[[type[Task]], None]) -> None:
    register(LocalTask)


@hookimpl
def sdg_register_retrievers(register: Callable[[type[Retriever]], None]) -> None:
    for cls in (BM25Retriever, EmbeddingRetriever, HybridRetriever):
        register(cls)
