"""Quality gates: planted duplicates and planted benchmark questions are all removed and
reported, the judge's score drops weak samples, and nothing gated is labelled or solved."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sdgcore import InputError, Sample, Source
from sdgcore.config.gates import DecontaminateGate, DedupGate
from sdgcore.gates.contamination import EvalSets
from sdgcore.gates.duplicates import Duplicates
from sdgcore.testing import components, world
from sdgcore.testing.replies import Reply
from sdgcore.testing.server import FakeOpenAIServer, Script

BODY = ("A farmer has a field shaped like a rectangle, twice as long as it is wide, with a "
        "fence around it that is one hundred and twenty metres long in total; how wide is it")
BENCH = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many "
         "clips in May. How many clips did Natalia sell altogether in April and May?")


def sample(question: str, context: str | None = None) -> Sample:
    return Sample(task="t", question=question, context=context,
                  source=Source(kind="test", ref=question[:10]))


def test_exact_and_near_duplicates_are_found_and_the_rest_kept():
    seen = Duplicates(DedupGate(threshold=0.7))
    first = sample(f"Q1 {BODY}?")
    seen.add(first)
    assert seen.check(sample(f"q1   {BODY.upper()} ?")) == (first.id, 1.0)
    other, similar = seen.check(sample(f"Q2 {BODY.replace('twice', 'three times')}?"))
    assert other == first.id and 0.7 <= similar < 1.0
    assert seen.check(sample("Q3 What is the capital of France?")) is None
    # the same question on another context is another sample
    assert seen.check(sample(f"Q1 {BODY}?", context="A different passage.")) is None


def write_sets(tmp_path):
    (tmp_path / "bench.jsonl").write_text(json.dumps({"question": BENCH, "answer": "72"}) + "\n")
    (tmp_path / "bench.csv").write_text("id,problem\n1,What is the largest prime below 100?\n")
    pq.write_table(pa.table({"prompt": ["Name the author of Hamlet, the play."]}),
                   tmp_path / "bench.parquet")
    (tmp_path / "bench.txt").write_text("Is zero an even number?\n\nWho wrote Faust?\n")
    return [str(tmp_path / f"bench.{ext}") for ext in ("jsonl", "csv", "parquet", "txt")]


def test_eval_sets_are_read_from_every_kind_of_file_and_matched_by_ngrams(tmp_path):
    import datasets

    saved = tmp_path / "saved"
    datasets.Dataset.from_dict({"text": ["Which planet is the largest in the solar system?"]}) \
        .save_to_disk(str(saved))
    sets = EvalSets(DecontaminateGate(sets=[*write_sets(tmp_path), str(saved)], ngram=6))
    item, shared = sets.match("Q7 Quick: " + BENCH.lower() + " Show your work.")
    assert item.endswith("bench.jsonl[train]#0") and shared.startswith("natalia sold clips")
    assert sets.match("what is the largest prime below 100?")[0].endswith("bench.csv[train]#0")
    assert sets.match("Who wrote Faust?")[0].endswith("bench.txt#2")  # short: whole item
    assert sets.match("Quiz: who wrote Faust? Answer briefly.")[0].endswith("bench.txt#2")
    assert sets.match("Tell me: which planet is the largest in the solar system today")
    assert sets.match("Name the author of Hamlet, the play.")
    assert sets.match("Who wrote Hamlet?") is None
    assert sets.match("Natalia sold clips to a friend.") is None  # fewer than 6 words shared


def test_an_unreadable_eval_set_is_an_input_error(tmp_path):
    (tmp_path / "bad.parquet").write_text("not parquet")
    for ref, says in [(str(tmp_path / "bad.parquet"), "cannot be read"),
                      (str(tmp_path / "missing.jsonl"), "neither a readable file")]:
        with pytest.raises(InputError, match=says):
            EvalSets(DecontaminateGate(sets=[ref]))


def graded(request):
    """The world, with a judge that scores ``[hard]`` questions 3 and the rest 8."""
    system = request.system or ""
    if "grade training samples" in system:
        weak = "[hard]" in request.last_user
        return Reply.json({"score": 3 if weak else 8,
                           "reason": "ambiguous wording" if weak else "clear"})
    return world.answer(request)


QUESTIONS = [
    f"Q1 [learnable] {BODY}?",
    f"Q1 [learnable]   {BODY.upper().replace('Q1', 'q1')} ?",    # an exact duplicate
    f"Q1 [learnable] {BODY.replace('twice', 'three times')}?",   # a near duplicate
    f"Q2 [learnable] {BENCH}",                                   # a benchmark question
    "Q3 [easy] Is zero an even number?",                         # a short benchmark one
    "Q4 [learnable] How many legs do four spiders have?",
    "Q5 [hard] What is the last digit of a large power?",        # the judge scores it 3
    "Q6 [easy] What is 2 + 5?",
]


def test_planted_duplicates_and_benchmark_questions_are_removed_and_reported(
        tmp_path, sdg_cli, make_plugin_manager):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    sets = write_sets(tmp_path)
    run_dir = tmp_path / "run"
    gates = {"dedup": {"threshold": 0.6},
             "decontaminate": {"sets": sets, "ngram": 8},
             "judge": {"min_score": 6}}
    with FakeOpenAIServer(Script.respond(graded)) as server:
        config = world.write_config(tmp_path / "config.yaml", server.url, run_dir, QUESTIONS,
                                    gates=gates)
        manager = make_plugin_manager(components, voting, rewriters)
        result = sdg_cli(["run", str(config)], manager=manager)
        asked = [r.body for r in server.requests]
    assert result.exit_code == 0, result.output
    dropped = {s.question: s for s in map(Sample.from_json, (run_dir / "dropped.jsonl").open())}
    kept = [Sample.from_json(line) for name in ("learnable", "too_easy", "too_hard")
            for line in (run_dir / f"{name}.jsonl").open()]
    [original] = [s for s in kept if s.question == QUESTIONS[0]]

    exact = dropped[QUESTIONS[1]].dropped
    assert exact == f"gate dedup: duplicate of {original.id} (similarity 1.00)"
    near = dropped[QUESTIONS[2]].dropped
    assert near.startswith(f"gate dedup: near-duplicate of {original.id} (similarity 0.")
    bench = dropped[QUESTIONS[3]]
    assert bench.dropped.startswith("gate decontaminate: overlaps ")
    assert "bench.jsonl[train]#0" in bench.dropped
    assert bench.scoring["gates"]["decontaminate"]["item"].endswith("bench.jsonl[train]#0")
    assert "bench.txt#0" in dropped[QUESTIONS[4]].dropped
    weak = dropped[QUESTIONS[6]]
    assert weak.dropped == "gate judge: score 3 < 6: ambiguous wording"
    assert weak.scoring["gates"]["judge"] == {"score": 3, "reason": "ambiguous wording",
                                              "min_score": 6}
    assert {s.question for s in kept if s.parent_id is None} == {
        QUESTIONS[0], QUESTIONS[5], QUESTIONS[7]}
    assert all(s.scoring["gates"]["judge"]["score"] == 8 for s in kept)

    # a gated sample was never labelled or solved (the judge alone saw the judged ones)
    def asked_about(question):
        return [b for b in asked if question in json.dumps(b)]
    assert asked_about(BENCH) == [] and asked_about("Is zero an even number?") == []
    assert len(asked_about(QUESTIONS[6])) == 1
    # the rewrite of the too-easy Q6 was screened too
    [rewrite] = [s for s in kept if s.parent_id is not None and "Q6" in s.question]
    assert rewrite.scoring["gates"]["judge"]["score"] == 8


def test_kept_samples_of_earlier_rounds_count_and_the_order_decides():
    from sdgcore.config.gates import GatesSection
    from sdgcore.gates import Gates

    first, copy, near = (sample(f"Q1 {BODY}?"), sample(f"q1 {BODY}  ?"),
                         sample(f"Q1 {BODY.replace('twice', 'three times')}?"))
    earlier = first.drop("solve: student failed")  # a dropped sample is not a reference
    config = GatesSection(dedup=DedupGate(threshold=0.6))
    # a resumed run: the checkpointed rounds are what the new samples are compared with
    resumed = Gates(config, kept=[first])
    dup, close = resumed.keep([copy, near])
    assert dup.dropped == f"gate dedup: duplicate of {first.id} (similarity 1.00)"
    assert close.dropped.startswith(f"gate dedup: near-duplicate of {first.id} (similarity 0.")
    fresh = Gates(config, kept=[earlier])
    kept = fresh.keep([copy, near, first])
    assert kept[0].dropped is None  # the first of the round is kept
    assert kept[1].dropped.startswith(f"gate dedup: near-duplicate of {copy.id}")
    assert kept[2].dropped.startswith(f"gate dedup: duplicate of {copy.id}")
