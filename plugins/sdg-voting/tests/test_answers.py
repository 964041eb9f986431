"""Answer extraction, normalisation and equivalence: table-driven."""

import pytest

from sdg_voting.answers import answer_key, as_number, equivalent, extract, normalize


@pytest.mark.parametrize("text, expected", [
    # the configured tag, last occurrence, whitespace trimmed, case of the tag ignored
    ("so <answer>42</answer>", ("42", "tag")),
    ("<answer>1</answer> no, <answer> 2 </answer>", ("2", "tag")),
    ("<ANSWER>Paris</ANSWER>", ("Paris", "tag")),
    ("<answer>\n\\frac{1}{2}\n</answer>", ("\\frac{1}{2}", "tag")),
    ("<answer>7</answer> but \\boxed{8}", ("7", "tag")),
    ("<answer>  </answer> \\boxed{8}", ("8", "boxed")),
    ("<answer>unclosed 5", ("5", "last_number")),
    # \boxed with nested braces, last occurrence
    ("thus \\boxed{5}.", ("5", "boxed")),
    ("\\boxed{\\frac{1}{2}}", ("\\frac{1}{2}", "boxed")),
    ("\\boxed{1} then \\boxed{\\dfrac{3}{\\sqrt{4}}}", ("\\dfrac{3}{\\sqrt{4}}", "boxed")),
    ("$\\boxed{x^{2}+1}$", ("x^{2}+1", "boxed")),
    ("\\boxed{3} and a broken \\boxed{4", ("3", "boxed")),
    ("\\fbox{9}", ("9", "boxed")),
    # GSM8K ####
    ("She has 3 + 4 = 7.\n#### 7", ("7", "####")),
    ("#### 1,234\n", ("1,234", "####")),
    ("#### 1\n#### 2", ("2", "####")),
    # "the answer is"
    ("So the answer is 12.", ("12", "answer_is")),
    ("The final answer is **42**. Hope it helps with 7", ("42", "answer_is")),
    ("THE ANSWER IS: 3.5.", ("3.5", "answer_is")),
    ("Final answer: Paris", ("Paris", "answer_is")),
    ("The answer is 1. Then the answer is 2.", ("2", "answer_is")),
    # the last number
    ("I count 3 apples and 5 pears", ("5", "last_number")),
    ("it costs -5 dollars", ("-5", "last_number")),
    ("total 1,234.50.", ("1,234.50", "last_number")),
    ("she ate 3/4 of it", ("3/4", "last_number")),
    ("a rise of 45%", ("45%", "last_number")),
    ("from 3-4 days", ("4", "last_number")),
    # nothing
    ("I do not know.", (None, None)),
    ("", (None, None)),
])
def test_extract(text, expected):
    assert extract(text) == expected


def test_extract_uses_the_configured_tag():
    assert extract("<final>x</final> <answer>y</answer>", tag="final") == ("x", "tag")


@pytest.mark.parametrize("answer, expected", [
    ("  Paris  ", "paris"),
    ("New   York\nCity.", "new york city"),
    ("$x^2$", "x^2"),
    ("\\text{blue}", "blue"),
    ("12\\text{ cm}", "12 cm"),
    ("1,234,567", "1234567"),
    ("(1,2)", "(1,2)"),
    ("\\boxed{5}", "5"),
    ("**Yes**", "yes"),
    ("50\\%", "50%"),
])
def test_normalize(answer, expected):
    assert normalize(answer) == expected


@pytest.mark.parametrize("answer, expected", [
    ("42", 42.0), ("-3", -3.0), ("+3", 3.0), (".5", 0.5), ("2.50", 2.5), ("1,234", 1234.0),
    ("1e3", 1000.0), ("3/4", 0.75), ("-3/4", -0.75), ("\\frac{3}{4}", 0.75),
    ("\\dfrac{1}{8}", 0.125), ("\\frac12", 0.5), ("-\\frac{1}{2}", -0.5), ("45%", 45.0),
    ("45 percent", 45.0), ("$1,200", 1200.0), ("-$5", -5.0), ("€3.50", 3.5),
    ("12 apples", 12.0), ("12 square meters", 12.0), ("90°", 90.0), ("x = 5", 5.0),
    ("$\\frac{1}{3}$", 1 / 3),
    ("3/0", None), ("2 pi", None), ("3 x", None), ("5 million", None), ("1 1/2", None),
    ("abc", None), ("", None), ("1,2", None), ("x^2", None),
])
def test_as_number(answer, expected):
    got = as_number(answer)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize("a, b", [
    ("42", "42.0"), ("42", "42.000"), ("1,234", "1234"), ("0.5", ".50"), ("1/2", "0.5"),
    ("\\frac{1}{2}", "0.5"), ("\\dfrac{3}{4}", "3/4"), ("-\\frac{1}{4}", "-0.25"),
    ("45%", "45"), ("45%", "0.45"), ("45\\%", "45 percent"), ("12 apples", "12"),
    ("$1,200", "1200"), ("$5.00", "5"), ("-7", "-7.0"), ("1e3", "1000"),
    ("1000000", "1000000.5"), ("0", "0.0000000001"), ("x = 5", "5"), ("90^\\circ", "90"),
    ("Paris", "paris."), ("New  York", "new york"), ("\\text{Blue}", "blue"),
    ("$x^2$", "x^2"), ("**Yes**", "yes"),
])
def test_equivalent(a, b):
    assert equivalent(a, b) and equivalent(b, a)


@pytest.mark.parametrize("a, b", [
    ("42", "43"), ("0.5", "0.55"), ("1/2", "1/3"), ("-5", "5"), ("45%", "4.5"),
    ("50%", "0.5%"), ("1", "1.00001"), ("0", "0.001"), ("Paris", "London"),
    ("2 pi", "2"), ("x^2", "x^3"), ("1,2", "12"), ("5", None), (None, None), ("", ""),
])
def test_not_equivalent(a, b):
    assert not equivalent(a, b) and not equivalent(b, a)


def test_tolerance_is_relative():
    assert equivalent("100", "100.5", tolerance=0.01)
    assert not equivalent("100", "102", tolerance=0.01)
    assert not equivalent("0.01", "0.0105", tolerance=0.01)


@pytest.mark.parametrize("answers", [
    ["0.5", "1/2", ".50", "\\frac{1}{2}", "$0.5$", "0.500000001"],
    ["50%", "50", "50.0", "50 percent"],
    ["1234", "1,234", "$1,234", "1234 dollars"],
    ["Paris", "paris.", "  PARIS "],
    ["0", "-0", "0.0"],
])
def test_answer_key_groups_equal_answers(answers):
    assert len({answer_key(a) for a in answers}) == 1


@pytest.mark.parametrize("a, b", [
    ("0.5", "50%"), ("1/3", "0.33"), ("12", "13"), ("Paris", "London"), ("5", "5 million"),
])
def test_answer_key_separates_different_answers(a, b):
    assert answer_key(a) != answer_key(b)
