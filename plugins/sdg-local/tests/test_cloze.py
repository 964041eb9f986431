"""Fill-in-the-blank questions: made from the chunk's own sentences, with no generator call."""

from pathlib import Path

from sdg_local.cloze import BLANK, make_cloze, sentences
from sdgcore.testing.modules import load_path
from sdgcore.testing.server import FakeOpenAIServer

tests = load_path(Path(__file__).with_name("test_local_task.py"), "sdg_local_test_local_task")

TEXT = ("Short one. The Aswan High Dam on the Nile was completed in 1970 after ten years of "
        "work. Its reservoir, called Lake Nasser, stretches far to the south into Sudan.")


def test_a_keyword_is_blanked_first_then_a_number_then_a_name():
    by_keyword = make_cloze(TEXT, ["the Nile"], 0)
    assert by_keyword.answer == "the Nile"
    assert by_keyword.question.startswith('Fill in the blank: "The Aswan High Dam on ')
    assert f"on {BLANK} was completed in 1970" in by_keyword.question
    assert by_keyword.evidence in TEXT and "the Nile" in by_keyword.evidence
    number = make_cloze(TEXT, [], 0)
    assert (number.answer, number.evidence) == ("1970", sentences(TEXT)[0])
    name = make_cloze(TEXT, [], 1)
    assert name.answer == "Lake Nasser" and BLANK in name.question
    assert make_cloze("Too short to use. Also short.", ["short"], 0) is None
    fragment = "and so the Nile was dammed at last in the year 1970 by the engineers. "
    assert make_cloze(fragment + TEXT, ["Nile"], 0).evidence == sentences(TEXT)[0]


def test_the_attempt_number_rotates_over_sentences_and_terms():
    made = {make_cloze(TEXT, ["Nile", "Lake Nasser"], i).answer for i in range(4)}
    assert made == {"Nile", "Lake Nasser"}


def test_cloze_samples_need_no_generator_request_and_keep_their_lineage(make_plugin_manager,
                                                                         tmp_path):
    corpus = tests.write_corpus(tmp_path / "docs")
    chunks = tests.real_chunks([corpus])
    with FakeOpenAIServer(tests.teacher_script()) as server:
        task, ctx = tests.make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                                   samples_per_chunk=1, questions="cloze")
        samples = tests.drive(task, ctx)
        asked = [tests.kind(r) for r in tests.logged(server)]
    assert asked == ["keywords"]  # the keywords, once; no question was asked of a model
    assert samples and task.counts["made"] == len(samples)
    for sample in samples:
        focus = chunks[sample.source.locator["chunks"][0]][0]
        evidence, answer = sample.evidence, sample.gold
        assert " ".join(focus.text.split()).count(evidence) == 1
        assert sample.question.count(BLANK) == 1
        assert sample.question.replace(BLANK, answer).find(evidence) > 0
        assert sample.meta["evidence_found"] and sample.context.startswith(focus.text)


def test_a_cloze_blank_is_the_gold_answer_that_label_gold_takes(make_plugin_manager,
                                                                 tmp_path):
    """The blanked term is the sample's gold answer; ``label: gold`` labels the question
    with it and asks no model (``verify`` and ``vote`` are tests/test_known_answers.py's)."""
    import asyncio

    import attrs

    from sdgcore import Comparator, Voter
    from sdgcore.pipeline.stages import Flow

    class Unused(Voter, Comparator):
        name = "unused"

        async def label(self, ctx, sample):
            raise AssertionError("label: gold asked the voter")

        async def compare(self, ctx, sample, responses):
            raise AssertionError("label: gold asked the comparator")

    corpus = tests.write_corpus(tmp_path / "docs")
    with FakeOpenAIServer(tests.teacher_script()) as server:
        task, ctx = tests.make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                                   samples_per_chunk=1, questions="cloze")
        samples = tests.drive(task, ctx)
        asked = len(server.requests)
        ctx = attrs.evolve(ctx, config=attrs.evolve(ctx.config, label="gold"))
        flow = Flow(ctx, Unused(None), Unused(None), None)
        labelled = [asyncio.run(flow.label(sample)) for sample in samples]
        assert len(server.requests) == asked
    for sample, done in zip(samples, labelled, strict=True):
        blank = sample.question.split('"')[1]
        assert sample.gold and blank.replace(BLANK, sample.gold) == sample.evidence
        assert done.answer == sample.gold and done.agreement == 1.0 and not done.dropped
        assert done.scoring == {"gold": {"mode": "gold"}} and done.votes == ()
