"""The GRPO reward scores as the ``exact`` comparator does, and loads by path in a fresh
process, as verl loads it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sdg_verl.launch import reward_path
from sdg_verl.reward import compute_score, compute_score_with_format
from sdg_voting.exact import ExactComparator, ExactCompareConfig
from sdgcore import AnswerFormat, Sample

TABLE = [
    # (response, ground truth, tag, reward)
    ("So 3 + 4 = 7. <answer>7</answer>", "7", "answer", 1.0),
    ("<answer> 7 </answer>", "7", "answer", 1.0),
    ("<answer>8</answer>", "7", "answer", 0.0),
    ("The sum is 7.", "7", "answer", 1.0),  # last number, as the comparator reads it
    ("No idea.", "7", "answer", 0.0),
    ("", "7", "answer", 0.0),
    ("\\boxed{7}", "7", "answer", 1.0),
    ("\\boxed{\\frac{1}{2}}", "0.5", "answer", 1.0),
    ("#### 1,000", "1000", "answer", 1.0),
    ("<answer>50%</answer>", "0.5", "answer", 1.0),
    ("<answer>7.0000000001</answer>", "7", "answer", 1.0),
    ("<answer>7.1</answer>", "7", "answer", 0.0),
    ("<answer>(B)</answer>", "B", "answer", 1.0),
    ("<answer>Paris</answer>", "paris", "answer", 1.0),
    ("<answer>7</answer>", "7", "final", 1.0),  # no <final> tag: the last number is 7
    ("<final>9</final> <answer>7</answer>", "7", "final", 0.0),
    ("<final>7</final>", "7", "final", 1.0),
    ("The answer is yes.", "true", "answer", 1.0),
]


@pytest.mark.parametrize(("response", "truth", "tag", "reward"), TABLE)
def test_reward_table_agrees_with_the_exact_comparator(response, truth, tag, reward):
    info = {"answer_tag": tag}
    assert compute_score("sdg/list", response, truth, info) == reward
    sample = Sample(task="list", question="q", answer=truth,
                    answer_format=AnswerFormat(tag=tag))
    attempt = ExactComparator(ExactCompareConfig()).check(sample, response)
    assert attempt.correct == (reward == 1.0)


def test_the_tag_defaults_to_answer_and_extra_info_is_optional():
    assert compute_score("sdg/list", "<answer>7</answer>", "7") == 1.0
    assert compute_score("sdg/list", "<answer>7</answer>", "7", {"answer_tag": None}) == 1.0


def test_the_runs_tolerance_is_used():
    loose = {"equivalence": {"tolerance": 0.05, "abs_tolerance": 0.0, "symbolic": True}}
    assert compute_score("sdg/list", "<answer>7.1</answer>", "7", loose) == 1.0
    assert compute_score("sdg/list", "<answer>7.1</answer>", "7") == 0.0


def test_format_reward_credits_a_wrong_answer_in_the_tag_only():
    info = {"format_reward": 0.1}
    assert compute_score("s", "<answer>8</answer>", "7", info) == 0.1
    assert compute_score("s", "I think 8", "7", info) == 0.0  # found, but not in the tag
    assert compute_score("s", "<answer>7</answer>", "7", info) == 1.0
    assert compute_score_with_format("s", "<answer>8</answer>", "7") == 0.1
    assert compute_score_with_format("s", "<answer>8</answer>", "7", format_reward=0.2) == 0.2
    assert compute_score_with_format("s", "\\boxed{8}", "7") == 0.0
    assert compute_score_with_format("s", "\\boxed{7}", "7") == 1.0


def test_it_loads_by_path_in_a_fresh_process_without_sdgcore():
    probe = f"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("custom_reward", {str(reward_path())!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
scores = [module.compute_score("sdg/list", r, "7", {{"answer_tag": "answer"}})
          for r in ("<answer>7</answer>", "<answer>6</answer>")]
heavy = [m for m in ("sdgcore", "torch", "sentence_transformers", "litellm") if m in sys.modules]
print(json.dumps([scores, heavy]))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60)
    assert json.loads(out.stdout) == [[1.0, 0.0], []]
