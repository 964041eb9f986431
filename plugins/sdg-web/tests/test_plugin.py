import pytest

from sdg_web import plugin
from sdgcore.errors import ConfigError, NotBuiltError
from sdgcore.testing import structure


def test_registers_web_with_its_config(make_plugin_manager):
    registry = make_plugin_manager(plugin).registry
    cfg = structure({"task": {"type": "web", "datasets": ["openai/gsm8k:main"],
                              "fields": {"question": "question"}}}, registry)
    assert cfg.task.component is plugin.WebTask
    assert cfg.task.config.split == "train" and cfg.task.config.max_rows == 1000
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "web", "fields": ["question"]}}, registry)
    assert dict(info.value.problems) == {"task.fields": "expected a mapping, got a list"}


def test_not_built_yet():
    with pytest.raises(NotBuiltError):
        plugin.WebTask.ensure_built("task.type", "sdg-web")
