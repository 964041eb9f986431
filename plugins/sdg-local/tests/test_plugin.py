from pathlib import Path

import pytest

from sdg_local import plugin
from sdgcore.errors import ConfigError
from sdgcore.testing import structure


def test_registers_the_task_and_three_retrievers(make_plugin_manager):
    registry = make_plugin_manager(plugin).registry
    assert registry.names("retriever") == ["bm25", "embedding", "hybrid"]
    assert registry.get("task", "local").cls is plugin.LocalTask


def test_nested_retriever_selection(make_plugin_manager):
    registry = make_plugin_manager(plugin).registry
    cfg = structure({"task": {"type": "local", "paths": ["docs"],
                              "retriever": {"type": "hybrid", "rrf_k": 30}}}, registry)
    assert cfg.task.config.paths == [Path("docs")]
    assert cfg.task.config.retriever.name == "hybrid"
    assert cfg.task.config.retriever.config.rrf_k == 30
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "local", "paths": ["d"], "chunk_unit": "words",
                            "retriever": {"type": "tfidf"}}}, registry)
    found = dict(info.value.problems)
    assert found["task.chunk_unit"] == "expected one of 'tokens', 'chars', got 'words'"
    assert found["task.retriever.type"] == (
        "unknown retriever 'tfidf'; choose from: bm25, embedding, hybrid")


def test_the_task_is_built_and_its_config_is_checked(make_plugin_manager):
    registry = make_plugin_manager(plugin).registry
    assert plugin.LocalTask.status == "ready"
    assert all(registry.get("retriever", name).cls.status == "ready"
               for name in ("bm25", "embedding", "hybrid"))
    cfg = structure({"task": {"type": "local", "paths": ["docs", "more/a.pdf"],
                              "domain": ["law"]}}, registry)
    config = cfg.task.config
    assert config.paths == [Path("docs"), Path("more/a.pdf")] and config.retriever is None
    assert config.keywords == 30 and config.check_answerable is False

    def problems(**task):
        with pytest.raises(ConfigError) as info:
            structure({"task": {"type": "local", **task}}, registry)
        return dict(info.value.problems)

    assert problems(paths=["d"], chunk_size=64, chunk_overlap=64) == {
        "task": "chunk_overlap (64) must be less than chunk_size (64)"}
    assert problems(paths=[]) == {"task": "paths: give at least one file or folder of documents"}
    assert "task.paths" in problems(domain=["x"])
    assert problems(paths=["d"], top_k=0) == {"task": "'top_k' must be >= 1: 0"}


def test_the_default_retriever_is_bm25(make_plugin_manager):
    from sdg_local.retrievers import BM25Retriever

    registry = make_plugin_manager(plugin).registry
    cfg = structure({"task": {"type": "local", "paths": ["d"]}}, registry)
    assert isinstance(cfg.task.create()._make_retriever(), BM25Retriever)
    cfg = structure({"task": {"type": "local", "paths": ["d"],
                              "retriever": {"type": "bm25", "language": "none"}}}, registry)
    retriever = cfg.task.create()._make_retriever()
    assert isinstance(retriever, BM25Retriever) and retriever.config.language == "none"
