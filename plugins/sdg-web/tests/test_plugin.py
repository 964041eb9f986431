import pytest

from sdg_web import plugin
from sdg_web.config import LICENSES
from sdgcore.errors import ConfigError
from sdgcore.testing import structure


def test_registers_web_with_its_config(make_plugin_manager):
    registry = make_plugin_manager(plugin).registry
    cfg = structure({"task": {"type": "web", "datasets": ["openai/gsm8k:main"],
                              "fields": {"question": "question", "answer": "answer"}}},
                    registry)
    assert cfg.task.component is plugin.WebTask
    config = cfg.task.config
    assert config.split is None and config.max_rows == 1000 and config.convert == "auto"
    assert config.licenses == list(LICENSES) and not config.allow_gated
    assert config.answer_format.tag == "answer"
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "web", "datasets": ["a/b"], "fields": ["question"]}},
                  registry)
    assert dict(info.value.problems) == {"task.fields": "expected a mapping, got a list"}


@pytest.mark.parametrize(("task", "problem"), [
    ({"fields": {"question": "q"}}, "give `datasets` to use, or a `query`"),
    ({"datasets": ["a/b"], "fields": {"prompt": "q"}}, "unknown sample field 'prompt'"),
    ({"datasets": ["a/b"], "fields": {"answer": "a"}}, "map `question` to a column"),
    ({"query": "math", "min_size": 10, "max_size": 5}, "min_size (10) is above max_size (5)"),
    ({"query": "math", "min_relevance": 6}, "min_relevance"),
    ({"query": "math", "convert": "sometimes"}, "expected one of 'auto', 'always', 'never'"),
])
def test_bad_configs_name_their_key(make_plugin_manager, task, problem):
    registry = make_plugin_manager(plugin).registry
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "web", **task}}, registry)
    assert problem in str(info.value)


def test_built():
    plugin.WebTask.ensure_built("task.type", "sdg-web")  # no longer "planned"
    assert plugin.WebTask.status == "ready"
