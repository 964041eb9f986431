"""The equivalence rules, table-driven from answer_pairs.py."""

from pathlib import Path

import pytest

from sdg_voting import symbolic
from sdg_voting.equivalence import RULES, Equivalence, answer_key, compare, equivalent
from sdgcore.testing.modules import load_path

_table = load_path(Path(__file__).with_name("answer_pairs.py"), "sdg_voting_answer_pairs")
PAIRS, ROWS = _table.PAIRS, _table.ROWS

needs_sympy = pytest.mark.skipif(not symbolic.available(), reason="sdg-voting[math] missing")


def test_the_table_is_large_and_covers_every_rule_both_ways():
    assert len(ROWS) >= 150
    assert set(PAIRS) >= {name for name, _ in RULES} | {"empty", "fraction", "percent", "unit"}
    for topic, rows in PAIRS.items():
        assert {equal for _, _, equal, _ in rows} == {True, False}, topic
    decided = {rule for *_, rule in ROWS}
    assert decided >= {name for name, _ in RULES} - {"number"} | {
        "percent", "fraction", "unit", "number", "empty"}


@pytest.mark.parametrize("topic, a, b, equal, rule", ROWS,
                         ids=[f"{t}:{a}|{b}" for t, a, b, *_ in ROWS])
def test_pair(topic, a, b, equal, rule):
    if rule == "symbolic" and not symbolic.available():
        pytest.skip("sdg-voting[math] missing")
    assert compare(a, b) == (equal, rule)
    assert compare(b, a) == (equal, rule), "compare must be symmetric"


@needs_sympy
@pytest.mark.parametrize("a, b", [
    (a, b) for _, a, b, equal, rule in ROWS if rule == "symbolic" and equal])
def test_symbolic_off_leaves_expressions_unequal(a, b):
    equal, rule = compare(a, b, Equivalence(symbolic=False))
    assert not equal and rule != "symbolic"


def test_sympy_missing_skips_the_rule_silently(monkeypatch):
    monkeypatch.setattr(symbolic, "available", lambda: False)
    symbolic.parse.cache_clear()
    try:
        assert compare("2x+2", "2(x+1)") == (False, "text")
        assert compare("x^{2}", "x^2") == (True, "latex")
    finally:
        symbolic.parse.cache_clear()


def test_tolerances():
    assert equivalent("100", "100.5", tolerance=0.01)
    assert not equivalent("100", "102", tolerance=0.01)
    assert not equivalent("0.01", "0.0105", tolerance=0.01)
    assert equivalent("0", "0.004", abs_tolerance=0.005)
    assert not equivalent("0", "0.004")
    assert compare("0.5", "0.5001", Equivalence(tolerance=1e-3)) == (True, "number")


@needs_sympy
def test_tolerance_reaches_symbolic_values():
    assert compare("\\sqrt{2}", "1.414", Equivalence(tolerance=1e-3)) == (True, "symbolic")


def test_equivalence_config_is_checked():
    with pytest.raises(ValueError, match="tolerance"):
        Equivalence(tolerance=-1)


@pytest.mark.parametrize("answers", [
    ["0.5", "1/2", ".50", "\\frac{1}{2}", "$0.5$", "0.500000001"],
    ["50%", "50", "50.0", "50 percent"],
    ["1234", "1,234", "$1,234", "1234 dollars"],
    ["Paris", "paris.", "  PARIS ", "the Paris"],
    ["0", "-0", "0.0"],
])
def test_answer_key_groups_equal_answers(answers):
    assert len({answer_key(a) for a in answers}) == 1


@pytest.mark.parametrize("a, b", [
    ("0.5", "50%"), ("1/3", "0.33"), ("12", "13"), ("Paris", "London"), ("5", "5 million"),
])
def test_answer_key_separates_different_answers(a, b):
    assert answer_key(a) != answer_key(b)
