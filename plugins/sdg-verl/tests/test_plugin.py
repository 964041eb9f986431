import pytest

from sdg_verl import plugin
from sdgcore.errors import ConfigError
from sdgcore.testing import components, structure


def test_verl_trainer_config(make_plugin_manager):
    registry = make_plugin_manager(plugin, components).registry
    base = {"task": {"type": "list", "questions": ["q"]}}
    cfg = structure({**base, "train": {"type": "verl", "mode": "grpo"}}, registry)
    assert cfg.train.component is plugin.VerlTrainer and cfg.train.config.mode == "grpo"
    assert cfg.train.config.categories == ["learnable"]
    with pytest.raises(ConfigError) as info:
        structure({**base, "train": {"type": "verl", "mode": "ppo"}}, registry)
    assert dict(info.value.problems) == {"train.mode": "expected one of 'sft', 'grpo', got 'ppo'"}
