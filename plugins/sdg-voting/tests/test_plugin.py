import pytest

from sdg_voting import plugin
from sdg_voting.judge import JudgeCompareConfig, JudgeConfig
from sdg_voting.semantic import SemanticCompareConfig, SemanticConfig
from sdgcore.errors import ConfigError
from sdgcore.testing import components, structure

TASK = {"type": "list", "questions": ["q"]}


@pytest.fixture
def registry(make_plugin_manager):
    return make_plugin_manager(plugin, components).registry


def test_registers_three_voters_and_three_comparators_all_built(registry):
    for kind in ("voter", "comparator"):
        assert registry.names(kind) == ["exact", "llm_judge", "semantic"]
        for name in registry.names(kind):
            entry = registry.get(kind, name)
            assert entry.cls.status == "ready"
            entry.cls.ensure_built(kind, "sdg-voting")


def test_exact_is_the_default_voter_and_comparator(registry):
    cfg = structure({"task": TASK}, registry)
    assert cfg.voter.name == "exact" and cfg.voter.config.k == 5
    assert cfg.solve.comparator.name == "exact"


def test_sdg_plugins_lists_them_as_ready(sdg_cli, make_plugin_manager):
    result = sdg_cli(["plugins"], manager=make_plugin_manager(plugin))
    assert result.exit_code == 0, result.output
    cells = [[cell.strip() for cell in line.split("│")[1:-1]]
             for line in result.output.splitlines()]
    rows = [row for row in cells if len(row) == 6 and row[2] == "sdg_voting.plugin"]
    found = {(name, kind) for name, kind, *_ in rows}
    assert found == {(name, kind) for kind in ("voter", "comparator")
                     for name in ("exact", "semantic", "llm_judge")}
    assert all(row[4] == "ready" for row in rows)


@pytest.mark.parametrize("solve, expected", [
    ({"comparator": "semantic"}, SemanticCompareConfig()),
    ({"comparator": {"type": "semantic", "threshold": 0.9, "embed": "response"}},
     SemanticCompareConfig(threshold=0.9, embed="response")),
    ({"comparator": "llm_judge"}, JudgeCompareConfig()),
    ({"comparator": {"type": "llm_judge", "judge": "grader"}}, JudgeCompareConfig(judge="grader")),
])
def test_a_run_selects_its_comparator(registry, solve, expected):
    cfg = structure({"task": TASK, "solve": solve}, registry)
    assert cfg.solve.comparator.config == expected
    assert cfg.solve.comparator.create().config == expected


def test_voter_sections_structure(registry):
    semantic = structure({"task": TASK, "voter": {"type": "semantic", "k": 3,
                                                  "embedding_model": "/models/mine"}}, registry)
    assert semantic.voter.config == SemanticConfig(k=3, embedding_model="/models/mine")
    judge = structure({"task": TASK, "voter": {"type": "llm_judge", "judge": "grader"}},
                      registry)
    assert judge.voter.config == JudgeConfig(judge="grader")
    assert judge.voter.config.model == "teacher"


@pytest.mark.parametrize("data, problems", [
    ({"voter": {"type": "semantic", "threshold": 1.5, "k": 0}},
     {"voter": "'k' must be >= 1: 0"}),
    ({"voter": {"type": "semantic", "embed": "words"}},
     {"voter.embed": "expected one of 'answer', 'response', got 'words'"}),
    ({"voter": {"type": "exact", "k": 1}},
     {"voter": "min_valid (2) cannot exceed k (1): no sample could ever be labelled"}),
    ({"voter": {"type": "semantic", "k": 1}},
     {"voter": "min_valid (2) cannot exceed k (1): no sample could ever be labelled"}),
    ({"voter": {"type": "llm_judge", "k": 1}},
     {"voter": "min_valid (2) cannot exceed k (1): no sample could ever be labelled"}),
    ({"voter": {"type": "llm_judge", "tolerance": -1}},
     {"voter": "'tolerance' must be >= 0.0: -1.0"}),
    ({"solve": {"comparator": {"type": "semantic", "threshold": 2}}},
     {"solve.comparator": "'threshold' must be <= 1.0: 2.0"}),
    ({"solve": {"comparator": {"type": "llm_judge", "judges": "x"}}},
     {"solve.comparator.judges": "unknown key"}),
])
def test_bad_sections_are_reported_with_their_key(registry, data, problems):
    with pytest.raises(ConfigError) as info:
        structure({"task": TASK, **data}, registry)
    found = dict(info.value.problems)
    assert {key: found.get(key, "")[:len(text)] for key, text in problems.items()} == problems
