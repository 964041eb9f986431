from pathlib import Path

import attrs
import pytest
import yaml

from sdgcore import hookimpl
from sdgcore.base import Comparator, Task
from sdgcore.config.loader import dump_config, fingerprint, load_config
from sdgcore.config.values import Secret
from sdgcore.errors import ConfigError
from sdgcore.records import Attempt
from sdgcore.testing import components


@attrs.frozen
class ShapeConfig:
    name: str
    size: int = 1
    ratio: float = 0.5
    flag: bool = False
    tags: list[str] = attrs.field(factory=list)
    where: Path | None = None
    token: Secret | None = None


class ShapeTask(Task):
    """A task whose config has one field of each type, to exercise the converter."""

    name = "shape"
    Config = ShapeConfig

    async def generate(self, ctx):
        return
        yield


class ShapePlugin:
    @hookimpl
    def sdg_register_tasks(self, register):
        register(ShapeTask)


@pytest.fixture
def registry(make_plugin_manager):
    return make_plugin_manager(ShapePlugin(), components).registry


def write(tmp_path, data) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def problems(tmp_path, registry, data, **kw) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, data), registry, **kw)
    assert info.value.exit_code == 2
    return dict(info.value.problems)


def test_minimal_config_gets_defaults(tmp_path, registry):
    cfg = load_config(write(tmp_path, {"task": {"type": "shape", "name": "x"}}), registry)
    assert cfg.task.name == "shape"
    assert cfg.task.config == ShapeConfig(name="x")
    assert cfg.task.origin.startswith("ShapePlugin")
    assert set(cfg.models) == {"teacher", "student", "judge"}
    assert all(m.name == "llamacpp" for m in cfg.models.values())
    assert cfg.voter is None  # no voter plugin installed here: the default is left out
    assert cfg.solve.n == 8 and cfg.categorize.low == 0.0 and cfg.categorize.high == 1.0


def test_scalars_are_strict(tmp_path, registry):
    found = problems(tmp_path, registry, {"task": {
        "type": "shape", "name": ["a"], "size": "abc", "ratio": "x", "flag": "maybe",
        "tags": "a,b", "where": 3,
    }})
    assert found == {
        "task.name": "expected a string, got a list",
        "task.size": "expected an integer, got 'abc'",
        "task.ratio": "expected a number, got 'x'",
        "task.flag": "expected true or false, got 'maybe'",
        "task.tags": "expected a list, got 'a,b'",
        "task.where": "expected a path, got 3 (a number)",
    }


def test_numeric_strings_are_numbers(tmp_path, registry):
    cfg = load_config(write(tmp_path, {"task": {
        "type": "shape", "name": 7, "size": "12", "ratio": "1e-3", "flag": "yes",
    }}), registry)
    assert cfg.task.config.name == "7"
    assert cfg.task.config.size == 12 and cfg.task.config.ratio == 0.001
    assert cfg.task.config.flag is True


def test_unknown_keys_missing_keys_and_unknown_types(tmp_path, registry):
    found = problems(tmp_path, registry, {
        "task": {"type": "shape", "nmae": "x"},
        "solve": {"n": 4, "temprature": 0.3},
        "models": {"teacher": {"backend": "gpt", "model": "m"}},
        "bogus": 1,
    })
    assert found["task.nmae"] == "unknown key for task 'shape'; did you mean 'name'?"
    assert found["task.name"] == "required key missing"
    assert found["solve.temprature"] == "unknown key; did you mean 'temperature'?"
    assert found["models.teacher.backend"].startswith(
        "unknown backend 'gpt'; choose from: litellm, llamacpp, openai_compat, vllm")
    assert found["bogus"].startswith("unknown key; valid keys: task, models")


def test_unknown_type_names_choices_and_package(tmp_path, registry):
    found = problems(tmp_path, registry, {"task": {"type": "web", "query": "x"}})
    assert found == {"task.type": "unknown task 'web'; choose from: list, prompt, shape "
                                  "(pip install sdg-web)"}
    found = problems(tmp_path, registry, {"task": {"name": "x"}})
    assert found == {"task.type": "required key missing; choose from: list, prompt, shape"}
    assert problems(tmp_path, registry, {}) == {"task": "required key missing"}


def test_nested_paths_in_lists_and_mappings(tmp_path, registry):
    found = problems(tmp_path, registry, {
        "task": {"type": "shape", "name": "x", "tags": ["a", {"b": 1}]},
        "models": {"teacher": {"backend": "openai_compat", "api_base": "http://h",
                               "limits": {"rpm": "fast"}},
                   "student": {"backend": "llamacpp", "limits": {"concurrency": 0}}},
        "export": {"formats": ["jsonl", "csv"]},
    })
    assert found["task.tags[1]"] == "expected a string, got a mapping"
    assert found["export.formats[1]"] == "expected one of 'jsonl', 'parquet', 'hf', got 'csv'"
    assert found["models.teacher.limits.rpm"] == "expected an integer, got 'fast'"
    assert found["models.student.limits"] == "'concurrency' must be >= 1: 0"


def test_validators_report_their_section(tmp_path, registry):
    found = problems(tmp_path, registry, {"task": {"type": "list", "questions": ["q"]},
                                          "categorize": {"low": 0.9, "high": 0.1}})
    assert found == {"categorize": "low (0.9) must be below high (0.1)"}


def test_yaml_errors_and_bad_files(tmp_path, registry):
    assert "line 3, column 1" in problems(tmp_path, registry, "task:\n  - [unclosed\n")[""]
    assert "mapping of sections" in problems(tmp_path, registry, "- a\n- b\n")[""]
    with pytest.raises(ConfigError, match="1 problem"):
        load_config(tmp_path / "missing.yaml", registry)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, registry)
    assert "is a directory" in info.value.problems[0][1]


def test_env_interpolation(tmp_path, registry):
    data = {"task": {"type": "shape", "name": "${NAME}", "size": "${SIZE:-3}",
                     "tags": ["$${literal}", "a-${NAME}-b"], "token": "${TOKEN}"}}
    cfg = load_config(write(tmp_path, data), registry,
                      env={"NAME": "n", "TOKEN": "sk-secret"})
    assert cfg.task.config.name == "n" and cfg.task.config.size == 3
    assert cfg.task.config.tags == ["${literal}", "a-n-b"]
    assert cfg.task.config.token.get() == "sk-secret"
    assert "sk-secret" not in repr(cfg)
    found = problems(tmp_path, registry, data, env={})
    assert found == {"task.name": "environment variable NAME is not set",
                     "task.tags[1]": "environment variable NAME is not set",
                     "task.token": "environment variable TOKEN is not set"}


def test_missing_env_can_be_a_warning(tmp_path, registry):
    seen = []
    data = {"task": {"type": "shape", "name": "x", "token": "${TOKEN}"}}
    cfg = load_config(write(tmp_path, data), registry, env={},
                      on_missing_env=lambda p, m: seen.append((p, m)))
    assert seen == [("task.token", "environment variable TOKEN is not set")]
    assert cfg.task.config.token.get() == "${TOKEN}"


def test_secrets_never_reach_the_resolved_config(tmp_path, registry):
    data = {"task": {"type": "shape", "name": "x", "token": "${TOKEN}"},
            "models": {"teacher": {"backend": "openai_compat", "api_base": "http://h",
                                   "api_key": "sk-literal"}}}
    cfg = load_config(write(tmp_path, data), registry, env={"TOKEN": "sk-from-env"})
    text = yaml.safe_dump(dump_config(cfg, registry))
    assert "sk-from-env" not in text and "sk-literal" not in text
    dumped = dump_config(cfg, registry)
    assert dumped["task"]["token"] == "${TOKEN}"
    assert dumped["models"]["teacher"]["api_key"] == "***"


def test_resolved_config_round_trips(tmp_path, registry):
    data = {"task": {"type": "shape", "name": "x", "tags": ["a"], "where": "d/e"},
            "models": {"student": {"backend": "openai_compat", "api_base": "http://h",
                                   "model": "m", "sampling": {"temperature": 0.2}}},
            "export": {"formats": ["jsonl", "hf"]}}
    cfg = load_config(write(tmp_path, data), registry)
    dumped = dump_config(cfg, registry)
    again = load_config(write(tmp_path, dumped), registry)
    assert dump_config(again, registry) == dumped
    assert again.models["student"].common.sampling.temperature == 0.2
    assert fingerprint(dumped) == fingerprint(dump_config(again, registry))


def test_overrides(tmp_path, registry):
    path = write(tmp_path, {"task": {"type": "shape", "name": "x"}})
    cfg = load_config(path, registry, overrides=[
        "task.size=5", "target.learnable=7", "task.tags=[a, b]", "run.dir=out/r",
    ])
    assert cfg.task.config.size == 5 and cfg.target.learnable == 7
    assert cfg.task.config.tags == ["a", "b"]
    assert cfg.run.dir == Path("out/r")
    with pytest.raises(ConfigError) as info:
        load_config(path, registry, overrides=["nonsense", "task.name.deeper=1"])
    found = dict(info.value.problems)
    assert "expected KEY.PATH=VALUE" in found[""]
    assert found["task.name"] == "--set task.name.deeper: is not a mapping"


def test_fingerprint_changes_with_config(tmp_path, registry):
    a = dump_config(load_config(write(tmp_path, {"task": {"type": "shape", "name": "x"}}),
                                registry), registry)
    b = dump_config(load_config(write(tmp_path, {"task": {"type": "shape", "name": "y"}}),
                                registry), registry)
    assert fingerprint(a) != fingerprint(b)


class Judged(Comparator):
    """A comparator of this test's own; every attempt is wrong."""

    name = "judged"

    async def compare(self, ctx, sample, responses):
        return [Attempt(r) for r in responses]


class Exact(Judged):
    name = "exact"


class FreeTextTask(ShapeTask):
    name = "free_text"
    comparator = "judged"


class ComparatorPlugin:
    @hookimpl
    def sdg_register_comparators(self, register):
        register(Judged)
        register(Exact)

    @hookimpl
    def sdg_register_tasks(self, register):
        register(FreeTextTask)


def test_comparator_defaults_to_the_tasks_choice_then_exact(tmp_path, make_plugin_manager):
    reg = make_plugin_manager(ShapePlugin(), ComparatorPlugin()).registry
    shape = load_config(write(tmp_path, {"task": {"type": "shape", "name": "x"}}), reg)
    assert shape.solve.comparator.name == "exact"
    free = load_config(write(tmp_path, {"task": {"type": "free_text", "name": "x"}}), reg)
    assert free.solve.comparator.name == "judged"
    chosen = load_config(write(tmp_path, {"task": {"type": "free_text", "name": "x"},
                                          "solve": {"comparator": "exact", "n": 2}}), reg)
    assert chosen.solve.comparator.name == "exact" and chosen.solve.n == 2
    assert ("solve.comparator", chosen.solve.comparator) in chosen.selections()
    bad = problems(tmp_path, reg, {"task": {"type": "shape", "name": "x"},
                                   "solve": {"comparator": {"type": "nope"}}})
    assert "choose from: exact, judged" in bad["solve.comparator.type"]


def test_no_comparator_installed_leaves_it_out(tmp_path, registry):
    cfg = load_config(write(tmp_path, {"task": {"type": "shape", "name": "x"}}), registry)
    assert cfg.solve.comparator is None
