"""The ``exact`` voter through real HTTP: an endpoint over openai_compat and the fake server."""

import asyncio
import math

import attrs
import pytest

from sdg_voting import plugin
from sdg_voting.exact import ExactComparator, ExactCompareConfig, ExactVoter
from sdgcore import AnswerFormat, derive_seed
from sdgcore.config.values import Secret
from sdgcore.context import RunContext
from sdgcore.errors import ConfigError
from sdgcore.models import Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig, Sampling
from sdgcore.records import Sample, Source, Tokens
from sdgcore.testing import components, structure
from sdgcore.testing.server import FakeOpenAIServer, Fault, Reply, Script


def endpoint(server):
    backend = OpenAICompatBackend(
        OpenAICompatConfig(api_base=server.url, api_key=Secret("sk-test")),
        EndpointCommon(model="fake-model", sampling=Sampling(),
                       limits=Limits(backoff=0.01, timeout=5)),
    )
    return Endpoint("teacher", backend)


@pytest.fixture
def setup(make_plugin_manager, tmp_path):
    """``setup(replies, **voter)`` -> ``(run, server, voter, ctx)``: ``run(sample=None)``
    labels a sample with an exact voter over a fake teacher answering ``replies`` (one per
    choice, or a Script)."""
    registry = make_plugin_manager(components, plugin).registry
    servers = []

    def make(replies, **voter):
        script = replies if isinstance(replies, Script) else Script.respond(lambda req: replies)
        server = FakeOpenAIServer(script).start()
        servers.append(server)
        config = structure({"task": {"type": "list", "questions": ["q"]},
                            "run": {"seed": 7}, "voter": {"type": "exact", **voter}}, registry)
        ctx = RunContext(run_dir=tmp_path, config=config, models={"teacher": endpoint(server)})
        voter = config.voter.create()

        def run(sample=None):
            async def go():
                try:
                    return await voter.label(ctx, sample or SAMPLE)
                finally:
                    await ctx.models["teacher"].aclose()
            return asyncio.run(go())

        return run, server, voter, ctx

    yield make
    for server in servers:
        server.stop()


SAMPLE = Sample(task="list", question="What is 6 * 7?", source=Source(kind="list"),
                tokens=Tokens(1, 1),
                answer_format=AnswerFormat(instruction="Answer with a number."))


def test_the_voter_is_registered_and_built(make_plugin_manager):
    entry = make_plugin_manager(components, plugin).registry.get("voter", "exact")
    assert entry.cls is ExactVoter and ExactVoter.status == "ready"
    ExactVoter.ensure_built("voter", "sdg-voting")
    assert plugin.ExactConfig().model == "teacher"


def test_a_clear_majority_labels_the_sample(setup):
    replies = [Reply(r, prompt_tokens=10, completion_tokens=3) for r in [
        "I think <answer>41</answer>",
        "6 * 7 = 42, so <answer>42</answer>",
        "so \\boxed{42.0}",
        "no idea",
        "The answer is 42.",
    ]]
    run, server, _, _ = setup(replies)
    labelled = run()
    assert labelled.dropped is None
    assert labelled.answer == "42" and labelled.reference == "6 * 7 = 42, so <answer>42</answer>"
    assert labelled.agreement == pytest.approx(3 / 5)
    assert [(v.answer, v.extractor) for v in labelled.votes] == [
        ("41", "tag"), ("42", "tag"), ("42.0", "boxed"), (None, None), ("42", "answer_is")]
    assert [v.response for v in labelled.votes] == [r.content for r in replies]
    assert labelled.tokens == Tokens(11, 16) and labelled.id == SAMPLE.id
    assert server.count() == 1


def test_the_request_and_its_stable_seed(setup):
    run, server, _, ctx = setup(["<answer>1</answer>"], k=3, temperature=0.6)
    run()
    run()
    first, second = (r.body for r in server.requests)
    assert first == second
    assert first["n"] == 3 and first["temperature"] == 0.6
    assert ctx.seed == 7 and first["seed"] == derive_seed(7, SAMPLE.id, "label")
    system, user = first["messages"]
    assert system["role"] == "system" and "format the question asks for" in system["content"]
    assert user == {"role": "user", "content": "What is 6 * 7?\n\nAnswer with a number."}


def test_the_answer_is_read_from_the_tag_the_sample_states(setup):
    """Issue 12: the voter reads the tag of the sample's answer format, which its prompt
    states; there is no ``answer_tag`` in the voter's config."""
    sample = attrs.evolve(SAMPLE, answer_format=AnswerFormat(tag="final"))
    replies = ["<answer>1</answer> <final>42</final>"] * 3
    run, server, _, _ = setup(replies, k=3)
    labelled = run(sample)
    assert labelled.answer == "42" and {v.extractor for v in labelled.votes} == {"tag"}
    user = server.requests[0].body["messages"][-1]["content"]
    assert user.endswith("as <final>...</final>.")
    with pytest.raises(ConfigError, match="answer_tag"):
        setup(replies, k=3, answer_tag="final")


def test_another_sample_gets_another_seed(setup):
    run, server, _, _ = setup(["<answer>1</answer>"])
    run()
    run(attrs.evolve(SAMPLE, question="What is 2 + 2?"))
    assert server.requests[0].body["seed"] != server.requests[1].body["seed"]


@pytest.mark.parametrize("order, winner", [
    (["7", "8", "8", "7"], "7"),
    (["8", "7", "7", "8"], "8"),
    (["x", "7.0", "8", "7", "8"], "7.0"),
])
def test_a_tie_goes_to_the_earliest_group(setup, order, winner):
    replies = [f"<answer>{a}</answer>" if a != "x" else "no answer" for a in order]
    run, _, _, _ = setup(replies, k=len(order), min_agreement=0.4)
    labelled = run()
    assert labelled.answer == winner and labelled.reference == f"<answer>{winner}</answer>"
    assert labelled.agreement == pytest.approx(2 / len(order))


def test_low_agreement_is_dropped_with_its_votes(setup):
    replies = ["<answer>1</answer>", "<answer>1</answer>", "<answer>2</answer>",
               "<answer>3</answer>", "<answer>4</answer>"]
    run, _, _, _ = setup(replies, min_agreement=0.6)
    labelled = run()
    assert labelled.dropped == "label: low agreement 0.40 < 0.60"
    assert not labelled.dropped_transient  # the content: asking again would not help
    assert labelled.answer is None and labelled.reference is None
    assert len(labelled.votes) == 5 and labelled.tokens.completion > 1


def test_too_few_valid_answers_are_dropped(setup):
    run, _, _, _ = setup(["<answer>1</answer>", "I cannot say", "no idea"], k=3, min_valid=2)
    labelled = run()
    assert labelled.dropped == "label: too few valid answers (1 of 3)"
    assert [v.answer for v in labelled.votes] == ["1", None, None]


def test_a_failing_teacher_drops_the_sample(setup):
    run, server, _, _ = setup(Script.always(Fault.server_error(400)))
    labelled = run()
    assert labelled.dropped == (
        "label: teacher failed: client: HTTP 400: The server had an error (after 1 attempt)")
    assert labelled.votes == () and labelled.tokens == SAMPLE.tokens and server.count() == 1
    assert not labelled.dropped_transient  # a refused request is refused again


def test_a_teacher_down_after_every_retry_drops_the_sample_transiently(setup):
    run, server, _, _ = setup(Script.always(Fault.server_error(503)))
    labelled = run()
    assert labelled.dropped.startswith("label: teacher failed: server: HTTP 503")
    assert labelled.dropped_transient and server.count() > 1


def test_a_ballot_cut_short_by_a_transient_failure_is_retried_not_labelled(setup):
    answers = Script.sequence(["<answer>4</answer>"] * 2, then=Fault.server_error(503))
    run, server, _, _ = setup(answers)
    server.ignore_n = True  # one answer per request, as Ollama gives: two come, then 503s
    labelled = run()
    assert len(labelled.votes) == 2 and labelled.answer is None
    assert labelled.dropped.startswith("label: teacher failed: server: HTTP 503")
    assert labelled.dropped.endswith("(2 of 5 answers came back)")
    assert labelled.dropped_transient


@pytest.mark.parametrize("response, correct, answer, reason, how", [
    ("6 * 7 = <answer>42</answer>", True, "42", "number", "tag"),
    ("\\boxed{42.0}", True, "42.0", "number", "boxed"),
    ("The answer is 41.", False, "41", "number", "answer_is"),
    ("<answer>42 dollars</answer>", True, "42 dollars", "unit", "tag"),
    ("<answer>\\frac{84}{2}</answer>", True, "\\frac{84}{2}", "fraction", "tag"),
    ("#### forty-two", False, "forty-two", "text", "####"),
    ("I give up.", False, None, "no answer found", None),
])
def test_check_scores_an_attempt(response, correct, answer, reason, how):
    attempt = ExactComparator(ExactCompareConfig()).check(attrs.evolve(SAMPLE, answer="42"),
                                                           response)
    assert (attempt.response, attempt.answer, attempt.correct, attempt.reason,
            attempt.extractor) == (response, answer, correct, reason, how)


def test_check_without_a_label_is_never_correct():
    assert not ExactComparator(ExactCompareConfig()).check(SAMPLE, "<answer>42</answer>").correct


def test_the_comparator_config_reaches_the_rules():
    sample = attrs.evolve(SAMPLE, answer="2(x+1)")
    assert ExactComparator(ExactCompareConfig()).check(sample, "<answer>2x+2</answer>").correct
    strict = ExactComparator(ExactCompareConfig(symbolic=False))
    assert not strict.check(sample, "<answer>2x+2</answer>").correct
    loose = ExactComparator(ExactCompareConfig(tolerance=0.01))
    final = attrs.evolve(SAMPLE, answer="100", answer_format=AnswerFormat(tag="final"))
    attempt = loose.check(final, "<answer>7</answer> <final>100.5</final>")
    assert attempt.correct and attempt.extractor == "tag"


def test_comparators_run_through_compare():
    comparator = ExactComparator(ExactCompareConfig())
    attempts = asyncio.run(comparator.compare(None, attrs.evolve(SAMPLE, answer="0.5"),
                                              ["<answer>1/2</answer>", "<answer>50%</answer>",
                                               "<answer>0.6</answer>"]))
    assert [(a.correct, a.reason) for a in attempts] == [
        (True, "fraction"), (True, "percent"), (False, "number")]


def test_equivalent_answers_written_differently_vote_together(setup):
    replies = ["<answer>\\frac{1}{2}</answer>", "<answer>0.3</answer>", "\\boxed{0.5}",
               "<answer>1/2</answer>", "<answer>$0.50$</answer>"]
    run, _, _, _ = setup(replies)
    labelled = run()
    assert labelled.answer == "\\frac{1}{2}" and labelled.agreement == pytest.approx(4 / 5)


def test_symbolic_answers_vote_together_unless_switched_off(setup):
    replies = ["<answer>2x+2</answer>", "<answer>2(x+1)</answer>", "<answer>x+2</answer>",
               "<answer>2 + 2x</answer>", "<answer>x+2</answer>"]
    run, _, _, _ = setup(replies)
    assert run().answer == "2x+2"
    run, _, _, _ = setup(replies, symbolic=False, min_agreement=0.4)
    labelled = run()
    assert labelled.answer == "x+2" and labelled.agreement == pytest.approx(2 / 5)


def _weighted(answer, logprob):
    return Reply(f"<answer>{answer}</answer>", logprobs=[logprob])


def test_weighted_voting_flips_a_count_tie(setup):
    replies = [_weighted(7, -2.0), _weighted(8, -0.1), _weighted(8, -0.1), _weighted(7, -2.0)]
    run, server, _, _ = setup(replies, k=4, min_agreement=0.5, weighted=True)
    labelled = run()
    assert server.requests[0].body["logprobs"] is True
    assert labelled.answer == "8" and labelled.agreement == pytest.approx(0.5)
    assert [v.weight for v in labelled.votes] == pytest.approx(
        [math.exp(-2.0), math.exp(-0.1), math.exp(-0.1), math.exp(-2.0)])
    share = 2 * math.exp(-0.1) / (2 * math.exp(-0.1) + 2 * math.exp(-2.0))
    assert labelled.scoring["weighted_agreement"] == pytest.approx(share)
    unweighted, server, _, _ = setup(replies, k=4, min_agreement=0.5)
    assert unweighted().answer == "7" and "logprobs" not in server.requests[0].body


def test_weighted_voting_overturns_a_near_tie_and_keeps_the_share_of_votes(setup):
    replies = [_weighted(7, -3.0), _weighted(7, -3.0), _weighted(8, -0.05),
               _weighted(7, -3.0), _weighted(8, -0.05)]
    run, _, _, _ = setup(replies, k=5, min_agreement=0.4, weighted=True)
    labelled = run()
    assert labelled.answer == "8" and labelled.agreement == pytest.approx(2 / 5)
    run, _, _, _ = setup(replies, k=5, min_agreement=0.5, weighted=True)
    assert run().dropped == "label: low agreement 0.40 < 0.50"


def test_weights_are_normalised_by_length(setup):
    long = Reply("so it is <answer>8</answer>", logprobs=[-0.1, -0.1, -0.1, -0.1])
    short = Reply("<answer>7</answer>", logprobs=[-0.3])
    run, _, _, _ = setup([short, long], k=2, min_valid=1, weighted=True)
    labelled = run()
    assert [v.weight for v in labelled.votes] == pytest.approx([math.exp(-0.3), math.exp(-0.1)])
    assert labelled.answer == "8"


@pytest.mark.parametrize("order, winner", [
    ([("7", -1.0), ("8", -1.0)], "7"),
    ([("8", -1.0), ("7", -1.0)], "8"),
    ([("7", -1.0 + math.log(2)), ("8", -1.0), ("8", -1.0)], "8"),
])
def test_weighted_ties_go_to_the_most_votes_then_the_earliest_group(setup, order, winner):
    replies = [_weighted(a, lp) for a, lp in order]
    run, _, _, _ = setup(replies, k=len(order), min_valid=1, min_agreement=0.0, weighted=True)
    assert run().answer == winner


def test_weighted_voting_without_logprobs_counts_votes(setup):
    run, _, _, _ = setup(["<answer>7</answer>", "<answer>8</answer>", "<answer>8</answer>"],
                         k=3, weighted=True)
    labelled = run()
    assert labelled.answer == "8" and [v.weight for v in labelled.votes] == [1.0, 1.0, 1.0]
    assert labelled.scoring["weighted_agreement"] == pytest.approx(2 / 3)


def test_voter_config_is_checked(make_plugin_manager):
    registry = make_plugin_manager(components, plugin).registry
    with pytest.raises(ConfigError) as info:
        structure({"task": {"type": "list", "questions": ["q"]},
                   "voter": {"type": "exact", "abs_tolerance": -1}}, registry)
    assert "abs_tolerance" in dict(info.value.problems)["voter"]
