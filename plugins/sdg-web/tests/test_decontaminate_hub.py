"""The decontamination gate reads an evaluation set from the Hub (the loopback fake): a
benchmark question is found by its n-grams; a gated set it may not read is a clear error."""

import pytest

from sdg_web.testing import FakeHub, dataset_repo, pointed_at
from sdgcore import InputError
from sdgcore.config.gates import DecontaminateGate
from sdgcore.gates.contamination import EvalSets

BENCH = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many "
         "clips in May. How many clips did Natalia sell altogether in April and May?")


def test_an_eval_set_from_the_hub_is_read_and_matched(tmp_path):
    repos = [dataset_repo("evals/grade-school", {"train": [{"question": "What is 1 + 1?",
                                                            "answer": 2}],
                                                  "test": [{"question": BENCH, "answer": 72}]}),
             dataset_repo("evals/locked", {"test": [{"question": BENCH}]}, gated="auto")]
    with FakeHub(repos) as hub, pointed_at(hub, tmp_path / "hf"):
        sets = EvalSets(DecontaminateGate(sets=["evals/grade-school"], split="test",
                                          fields=["question"], ngram=8))
        item, shared = sets.match("Q7: " + BENCH)
        assert item == "evals/grade-school[test]#0" and shared.startswith("natalia sold")
        assert sets.match("What is 1 + 1?") is None  # only the test split was read
        with pytest.raises(InputError, match="'evals/locked' cannot be read"):
            EvalSets(DecontaminateGate(sets=["evals/locked"]))
