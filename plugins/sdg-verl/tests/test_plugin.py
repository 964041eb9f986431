import pytest

from sdg_verl import plugin
from sdgcore.errors import ConfigError
from sdgcore.testing import components, structure


def test_verl_trainer_config(make_plugin_manager):
    registry = make_plugin_manager(plugin, components).registry
    base = {"task": {"type": "list", "questions": ["q"]}}
    cfg = structure({**base, "train": {"type": "verl", "mode": "grpo"}}, registry)
    assert cfg.train.component is plugin.VerlTrainer and cfg.train.config.mode == "grpo"
    assert cfg.train.config.categories is None
    assert cfg.train.config.chosen_categories() == ["learnable"]
    sft = structure({**base, "train": {"type": "verl", "select": {"band": [0.1, 0.9]}}},
                    registry).train.config
    assert sft.chosen_categories() == ["learnable", "too_hard"]
    assert sft.select.band == [0.1, 0.9] and sft.val_fraction == 0.1
    with pytest.raises(ConfigError) as info:
        structure({**base, "train": {"type": "verl", "mode": "ppo"}}, registry)
    assert dict(info.value.problems) == {"train.mode": "expected one of 'sft', 'grpo', got 'ppo'"}
    with pytest.raises(ConfigError) as info:
        structure({**base, "train": {"type": "verl", "select": {"band": [0.9, 0.1]}}}, registry)
    assert dict(info.value.problems) == {
        "train.select": "band must be [lo, hi] with 0 <= lo <= hi <= 1, got [0.9, 0.1]"}


def test_the_trainer_is_ready():
    assert plugin.VerlTrainer.status == "ready"


def test_plugins_lists_verl_as_ready(sdg_cli, make_plugin_manager):
    import json

    result = sdg_cli(["plugins", "--json"], manager=make_plugin_manager(plugin, components))
    assert result.exit_code == 0, result.output
    [verl] = [c for c in json.loads(result.output)["components"] if c["name"] == "verl"]
    assert verl["kind"] == "trainer" and verl["status"] == "ready"
