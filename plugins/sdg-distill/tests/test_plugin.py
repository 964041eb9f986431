import pytest

from sdg_distill import plugin
from sdgcore.errors import ConfigError
from sdgcore.testing import structure


def test_registers_distill(make_plugin_manager):
    entry = make_plugin_manager(plugin).registry.get("task", "distill")
    assert entry.cls is plugin.DistillTask and entry.cls.status == "ready"


def test_config(make_plugin_manager):
    registry = make_plugin_manager(plugin).registry
    cfg = structure({"task": {"type": "distill", "instruction": "Write a riddle.",
                              "topics": ["cats"], "examples": "seeds.jsonl"}}, registry)
    assert cfg.task.config.instruction == "Write a riddle."
    assert cfg.task.config.topics == ["cats"] and cfg.task.config.model == "teacher"
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "distill", "instruction": "x", "dedup_threshold": 2}},
                  registry)
    assert dict(info.value.problems) == {"task": "'dedup_threshold' must be <= 1.0: 2.0"}


def test_selecting_it_for_a_run_is_allowed():
    plugin.DistillTask.ensure_built("task.type", "sdg-distill")  # built: does not raise
