"""YAML anchors and aliases: a value reached through an alias is the same value, but an
override or default given on one key path changes that path only."""

from pathlib import Path

import pytest

from sdgcore.config import loader
from sdgcore.config.loader import dump_config, load_config
from sdgcore.errors import ConfigError

QUICKSTART = Path(__file__).parent.parent / "examples" / "quickstart.yaml"


@pytest.fixture
def installed(make_plugin_manager):
    return make_plugin_manager(entry_points=True).registry


def test_set_on_one_aliased_role_leaves_the_others(installed):
    plain = load_config(QUICKSTART, installed)
    assert {plain.models[r].common.model for r in ("teacher", "student", "judge")} == {None}

    config = load_config(QUICKSTART, installed, overrides=["models.student.model=x.gguf",
                                                           "models.judge.limits.retries=5"])
    student, teacher, judge = (config.models[r].common for r in ("student", "teacher", "judge"))
    assert student.model == "x.gguf"
    assert teacher.model is None and judge.model is None
    assert judge.limits.retries == 5
    assert teacher.limits.retries == 2 and student.limits.retries == 2
    saved = dump_config(config, installed)["models"]
    assert saved["teacher"] != saved["student"] and saved["teacher"] != saved["judge"]


def test_an_override_copies_the_mappings_on_its_path():
    shared = {"backend": "llamacpp", "limits": {"retries": 2}}
    data = {"models": {"teacher": shared, "student": shared}}
    assert loader.apply_overrides(data, ["models.student.limits.retries=9"]) == []
    assert data["models"]["student"]["limits"]["retries"] == 9
    assert data["models"]["teacher"]["limits"]["retries"] == 2
    assert shared == {"backend": "llamacpp", "limits": {"retries": 2}}


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path, installed):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert 10 ** 8 > loader.MAX_CONFIG_VALUES
    with pytest.raises(ConfigError) as info:
        load_config(path, installed)
    assert info.value.exit_code == 2
    assert "aliases expand to more than" in str(info.value)
