from sdg_rewriters import plugin
from sdgcore.testing import components, structure


def test_difficulty_is_the_default_rewriter(make_plugin_manager):
    registry = make_plugin_manager(plugin, components).registry
    cfg = structure({"task": {"type": "list", "questions": ["q"]}}, registry)
    assert cfg.rewrite.name == "difficulty" and cfg.rewrite.common.max_rounds == 2
    cfg = structure({"task": {"type": "list", "questions": ["q"]},
                     "rewrite": {"type": "difficulty", "max_rounds": 0, "temperature": 0.2}},
                    registry)
    assert cfg.rewrite.common.max_rounds == 0 and cfg.rewrite.config.temperature == 0.2
