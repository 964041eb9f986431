"""Answer extraction, normalisation and reading numbers: table-driven (comparison is in
test_equivalence.py)."""

import pytest

from sdg_voting.answers import as_number, extract, normalize
from sdg_voting.normalize import plain_math, plain_text
from sdg_voting.numbers import parse_number


@pytest.mark.parametrize("text, expected", [
    # the configured tag, last occurrence, whitespace trimmed, case of the tag ignored
    ("so <answer>42</answer>", ("42", "tag")),
    ("<answer>1</answer> no, <answer> 2 </answer>", ("2", "tag")),
    ("<ANSWER>Paris</ANSWER>", ("Paris", "tag")),
    ("<answer>\n\\frac{1}{2}\n</answer>", ("\\frac{1}{2}", "tag")),
    ("<answer>7</answer> but \\boxed{8}", ("7", "tag")),
    ("<answer>  </answer> \\boxed{8}", ("8", "boxed")),
    ("<answer>unclosed 5", ("5", "last_number")),
    ('<answer type="number">12</answer>', ("12", "tag")),
    ("< answer >13</ answer >", ("13", "tag")),
    ("<answers>1</answers> so 2", ("2", "last_number")),
    # \boxed with nested braces, last occurrence
    ("thus \\boxed{5}.", ("5", "boxed")),
    ("\\boxed{\\frac{1}{2}}", ("\\frac{1}{2}", "boxed")),
    ("\\boxed{1} then \\boxed{\\dfrac{3}{\\sqrt{4}}}", ("\\dfrac{3}{\\sqrt{4}}", "boxed")),
    ("$\\boxed{x^{2}+1}$", ("x^{2}+1", "boxed")),
    ("\\boxed{3} and a broken \\boxed{4", ("3", "boxed")),
    ("\\fbox{9}", ("9", "boxed")),
    ("so \\boxed 5.", ("5", "boxed")),
    ("$\\boxed 12$ then \\boxed{13}", ("13", "boxed")),
    ("\\boxed{\\frac{1}{\\boxed{2}}}", ("\\frac{1}{\\boxed{2}}", "boxed")),
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


@pytest.mark.parametrize("answer, value, percent, fraction, unit", [
    ("42", 42.0, False, False, False),
    ("3/4", 0.75, False, True, False),
    ("\\frac{1}{4}", 0.25, False, True, False),
    ("12.5%", 12.5, True, False, False),
    ("$5", 5.0, False, False, True),
    ("3 m/s", 3.0, False, False, True),
    ("1.5 \\times 10^{3}", 1500.0, False, False, False),
    ("1\\,000", 1000.0, False, False, False),
])
def test_parse_number_remembers_how_it_was_written(answer, value, percent, fraction, unit):
    number = parse_number(answer)
    assert number.value == pytest.approx(value)
    assert (number.percent, number.fraction, number.unit) == (percent, fraction, unit)


@pytest.mark.parametrize("answer, expected", [
    ("\\frac{a}{b}", "((a)/(b))"),
    ("\\dfrac{\\sqrt{2}}{2}", "((sqrt(2))/(2))"),
    ("\\sqrt[3]{x}", "((x)**(1/(3)))"),
    ("x^{2} \\cdot y", "x^2*y"),
    ("2 \\times \\pi", "2*(pi)"),
    ("\\left( a + b \\right)", "(a+b)"),
    ("e^{i \\pi}", "e^(i(pi))"),
])
def test_plain_math(answer, expected):
    assert plain_math(normalize(answer)) == expected


@pytest.mark.parametrize("answer, expected", [
    ("The Nile!", "nile"), ("an apple, a pear", "apple pear"), ("1,2", "1,2"), ("U.S.A.", "u.s.a"),
])
def test_plain_text(answer, expected):
    assert plain_text(answer) == expected
