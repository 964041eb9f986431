from pathlib import Path

import pytest

from sdg_local import plugin
from sdgcore.config import structure
from sdgcore.errors import ConfigError


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
