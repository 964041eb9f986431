import pytest

from sdg_voting import plugin
from sdgcore.config import structure
from sdgcore.errors import ConfigError
from sdgcore.testing import components


def test_registers_three_voters_and_is_the_default(make_plugin_manager):
    registry = make_plugin_manager(plugin, components).registry
    assert registry.names("voter") == ["exact", "llm_judge", "semantic"]
    cfg = structure({"task": {"type": "list", "questions": ["q"]}}, registry)
    assert cfg.voter.name == "exact" and cfg.voter.config.k == 5


def test_voter_config_is_checked(make_plugin_manager):
    registry = make_plugin_manager(plugin, components).registry
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "list", "questions": ["q"]},
                   "voter": {"type": "semantic", "threshold": 1.5, "k": 0}}, registry)
    found = dict(info.value.problems)
    assert found == {"voter": "'k' must be >= 1: 0"}


def test_min_valid_cannot_exceed_k(make_plugin_manager):
    registry = make_plugin_manager(plugin, components).registry
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "list", "questions": ["q"]},
                   "voter": {"type": "exact", "k": 1}}, registry)
    assert dict(info.value.problems) == {
        "voter": "min_valid (2) cannot exceed k (1): no sample could ever be labelled"}
