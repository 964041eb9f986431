import json

import attrs
import cattrs
import pytest

from sdgcore import AnswerFormat
from sdgcore.records import Attempt, Sample, Source, Tokens, Vote, sample_id


def full_sample() -> Sample:
    return Sample(
        task="local",
        question="What is 2 + 3?",
        reference="2 + 3 = <answer>5</answer>",
        answer="5",
        gold="5",
        evidence="2 + 3 = 5",
        context="Two plus three is five.",
        answer_format=AnswerFormat(tag="final", instruction="End with <final>N</final>."),
        source=Source(kind="document", ref="docs/a.pdf",
                      locator={"chunks": ["c1", "c2"], "pages": [1, 2]}),
        votes=(Vote("... <answer>5</answer>", "5", "tag", 1.0), Vote("six", None, None, 0.5)),
        agreement=0.5,
        attempts=(Attempt("5", "5", True), Attempt("4", "4", False, "4 != 5")),
        pass_rate=0.5,
        scoring={"gate": "failed", "clusters": [[0], [1]], "solve_error": None},
        parent_id="abc",
        direction="harder",
        round=1,
        category="learnable",
        dropped="label: teacher failed: server: HTTP 503",
        dropped_transient=True,
        tokens=Tokens(120, 45),
        meta={"lang": "en", "scores": [0.1, 0.2], "nested": {"ok": True}, "none": None},
    )


def test_json_round_trip_is_lossless():
    sample = full_sample()
    line = sample.to_json()
    assert "\n" not in line
    again = Sample.from_json(line)
    assert again == sample
    assert again.to_dict() == json.loads(line)


def test_the_answer_format_round_trips_and_is_never_none():
    data = full_sample().to_dict()
    assert data["answer_format"] == {"tag": "final", "instruction": "End with <final>N</final>."}
    assert Sample(task="t", question="q").to_dict()["answer_format"] == {
        "tag": "answer", "instruction": None}
    # records written when the format was a plain instruction, or none, still read
    assert Sample.from_dict({**data, "answer_format": "End with X."}).answer_format == \
        AnswerFormat(instruction="End with X.")
    assert Sample.from_dict({**data, "answer_format": None}).answer_format == AnswerFormat()
    with pytest.raises(cattrs.BaseValidationError):
        Sample.from_dict({**data, "answer_format": {"tag": "final", "surprise": 1}})
    with pytest.raises(ValueError, match="answer tag"):
        AnswerFormat(tag="<final>")


def test_unicode_survives():
    sample = Sample(task="t", question="Wie viel ist 2 × 3? 答え")
    assert Sample.from_json(sample.to_json()).question == sample.question


def test_id_is_stable_and_content_derived():
    a = Sample(task="t", question="q", source=Source("teacher", "m"))
    b = Sample(task="t", question="q", source=Source("teacher", "m"))
    assert a.id == b.id == sample_id(a)
    assert len(a.id) == 16
    assert Sample(task="t", question="q2", source=Source("teacher", "m")).id != a.id
    assert Sample(task="t", question="q", source=Source("teacher", "m2")).id != a.id
    assert Sample(task="t", question="q", parent_id=a.id, direction="easier").id != a.id


def test_later_stages_do_not_change_the_id():
    sample = full_sample()
    labelled = attrs.evolve(sample, votes=(), agreement=None, attempts=(), pass_rate=0.9,
                            category="too_easy")
    assert labelled.id == sample.id


def test_id_follows_identity_changes():
    sample = full_sample()
    assert attrs.evolve(sample, question="What is 3 + 3?").id != sample.id
    assert sample.to_dict()["id"] == sample.id


def test_unknown_keys_are_rejected():
    data = full_sample().to_dict()
    data["surprise"] = 1
    with pytest.raises(cattrs.BaseValidationError):
        Sample.from_dict(data)


def test_tokens_add():
    assert Tokens(1, 2) + Tokens(3, 4) == Tokens(4, 6)


def test_prompt_is_context_question_then_answer_format():
    bare = Sample(task="t", question="How many?")
    assert bare.prompt() == ("How many?\n\n"
                             "End your reply with the final answer alone, as <answer>...</answer>.")
    tagged = attrs.evolve(bare, answer_format=AnswerFormat(tag="final"))
    assert tagged.prompt() == ("How many?\n\n"
                               "End your reply with the final answer alone, as <final>...</final>.")
    formatted = attrs.evolve(bare, answer_format=AnswerFormat(
        instruction="End with <answer>N</answer>."))
    assert formatted.prompt() == "How many?\n\nEnd with <answer>N</answer>."
    grounded = attrs.evolve(formatted, context="There are three.")
    assert grounded.prompt() == ("Context:\nThere are three.\n\nQuestion: How many?\n\n"
                                 "End with <answer>N</answer>.")


def test_a_rewrite_keeps_the_material_and_starts_its_scoring_afresh():
    parent = full_sample()
    child = parent.rewrite("What is 2 + 3 + 4?", "harder", reference="2 + 3 + 4 = 9",
                           meta={"rewrite_change": "one more term"}, tokens=Tokens(5, 2))
    # carried: the task, the material and how it is answered; set: lineage and what was given
    assert child == Sample(
        task=parent.task, question="What is 2 + 3 + 4?", reference="2 + 3 + 4 = 9",
        context=parent.context, answer_format=parent.answer_format, source=parent.source,
        parent_id=parent.id, direction="harder", round=parent.round + 1,
        meta={"rewrite_change": "one more term"}, tokens=Tokens(5, 2))
    # so not: gold, evidence, scoring, votes, agreement, attempts, pass rate, label, category, drop
    assert child.gold is None and child.evidence is None
    assert child.scoring == {} and child.votes == ()
    assert child.attempts == () and child.pass_rate is None and child.answer is None
    assert child.category is None and child.dropped is None and not child.dropped_transient
    assert child.id != parent.id and child.id == attrs.evolve(child, scoring={"x": 1}).id
    bare = parent.rewrite("Easier?", "easier")
    assert bare.meta == {} and bare.tokens == Tokens() and bare.reference is None


def test_drop_records_whether_the_reason_may_pass():
    sample = Sample(task="t", question="q")
    lasting = sample.drop("label: low agreement 0.40 < 0.60")
    assert lasting.dropped == "label: low agreement 0.40 < 0.60"
    assert not lasting.dropped_transient
    passing = sample.drop("solve: student failed: server: HTTP 503", transient=True)
    assert passing.dropped_transient and passing.id == sample.id
    assert Sample.from_json(passing.to_json()) == passing
