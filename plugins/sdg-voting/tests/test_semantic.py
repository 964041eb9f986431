"""The ``semantic`` voter and comparator with the real embedding model (all-MiniLM-L6-v2,
loaded once per process) and a real teacher endpoint over the loopback server."""

import asyncio

import attrs
import pytest
import yaml

from sdg_voting import plugin
from sdg_voting.answers import free_answer
from sdg_voting.embeddings import cluster, medoid, similarities, text_for
from sdg_voting.semantic import SemanticComparator, SemanticCompareConfig
from sdgcore.context import RunContext
from sdgcore.errors import ConfigError
from sdgcore.records import Sample, Source, Tokens
from sdgcore.testing import Models, components, structure
from sdgcore.testing.server import Fault, Reply, Script

pytest.importorskip("sentence_transformers")

SAMPLE = Sample(task="list", question="What is the capital of France?",
                source=Source(kind="list"), tokens=Tokens(1, 1))


def tagged(*answers):
    return [f"<answer>{a}</answer>" for a in answers]


@pytest.fixture
def label(make_plugin_manager, fake_openai, tmp_path):
    """``label(replies, sample=SAMPLE, **voter)`` -> the sample labelled by a semantic voter
    whose teacher answers ``replies`` (one per choice, or a Script)."""
    registry = make_plugin_manager(components, plugin).registry

    def run(replies, sample=SAMPLE, **voter):
        fake_openai.script = replies if isinstance(replies, Script) else Script.always(replies)
        k = voter.pop("k", 5 if isinstance(replies, Script) else len(replies))
        remote = {"backend": "openai_compat", "api_base": fake_openai.url,
                  "limits": {"backoff": 0.01, "retries": 0, "timeout": 5}}
        config = structure({"task": {"type": "list", "questions": ["q"]}, "run": {"seed": 7},
                            "models": {role: {**remote, "model": f"{role}-model"}
                                       for role in ("teacher", "student", "judge")},
                            "voter": {"type": "semantic", "k": k, **voter}}, registry)
        models = Models(config.models)
        ctx = RunContext(run_dir=tmp_path, config=config, models=models)

        async def go():
            try:
                return await config.voter.create().label(ctx, sample)
            finally:
                await models.aclose()
        return asyncio.run(go())

    return run


def test_paraphrases_cluster_and_outvote_a_repeated_minority(label):
    replies = tagged("Lyon", "Paris", "The capital is Paris", "Lyon", "paris, France")
    labelled = label(replies)
    # an exact vote would pick Lyon (2 votes against three different spellings of Paris)
    assert labelled.dropped is None
    assert labelled.scoring["clusters"] == [[0, 3], [1, 2, 4]]
    assert labelled.scoring["cluster_sizes"] == [2, 3]
    assert labelled.agreement == pytest.approx(3 / 5)
    assert labelled.answer == "Paris"  # the medoid: closest to the other two
    assert labelled.reference == "<answer>Paris</answer>"
    assert [v.answer for v in labelled.votes] == [
        "Lyon", "Paris", "The capital is Paris", "Lyon", "paris, France"]
    assert labelled.tokens.completion > SAMPLE.tokens.completion and labelled.id == SAMPLE.id


def test_the_threshold_decides_what_is_the_same_answer(label):
    replies = tagged("Lyon", "Paris", "The capital is Paris", "Lyon", "paris, France")
    strict = label(replies, threshold=0.95, min_agreement=0.4)
    assert strict.scoring["clusters"] == [[0, 3], [1], [2], [4]]
    assert strict.answer == "Lyon" and strict.agreement == pytest.approx(2 / 5)
    loose = label(replies, threshold=0.2, min_agreement=0.4)
    assert loose.scoring["clusters"] == [[0, 1, 2, 3, 4]] and loose.agreement == 1.0


@pytest.mark.parametrize("replies, winner", [
    (tagged("Lyon", "Paris", "Paris, France", "Lyon"), "Lyon"),
    (tagged("Paris", "Lyon", "Lyon", "Paris, France"), "Paris"),
])
def test_a_tie_goes_to_the_cluster_started_first(label, replies, winner):
    first = label(replies, min_agreement=0.5)
    again = label(replies, min_agreement=0.5)
    assert first.scoring["cluster_sizes"] == [2, 2]
    assert first.answer == winner and first.agreement == 0.5
    assert (again.answer, again.scoring) == (first.answer, first.scoring)


def test_low_agreement_is_dropped_with_its_clusters(label):
    labelled = label(tagged("Paris", "Lyon", "Marseille", "Berlin", "Rome"))
    assert labelled.dropped == "label: low agreement 0.20 < 0.50"
    assert labelled.scoring["cluster_sizes"] == [1, 1, 1, 1, 1]
    assert labelled.answer is None and len(labelled.votes) == 5


def test_blank_answers_count_against_min_valid(label):
    labelled = label(["", "   ", "<answer>Paris</answer>"], min_valid=2)
    assert labelled.dropped == "label: too few valid answers (1 of 3)"
    assert "clusters" not in labelled.scoring


def test_untagged_free_text_is_embedded_whole(label):
    replies = ["The capital is Paris.", "It is Paris",
               "The capital is Paris, as it has been since the year 987.", "Lyon"]
    labelled = label(replies, min_agreement=0.5)
    # the last number is not taken for the answer of free text: "987" would cluster alone
    assert [v.answer for v in labelled.votes] == [None] * 4
    assert labelled.scoring["clusters"] == [[0, 1, 2], [3]]
    assert labelled.answer == labelled.reference and labelled.answer in replies[:3]


def test_a_failing_teacher_drops_the_sample(label):
    labelled = label(Script.always(Fault.server_error(400)))
    assert labelled.dropped.startswith("label: teacher failed: client: HTTP 400")
    assert labelled.votes == ()


def test_an_embedding_model_that_cannot_load_is_a_config_error(label, tmp_path):
    with pytest.raises(ConfigError, match="cannot load embedding model"):
        label(tagged("Paris", "Paris"), embedding_model=str(tmp_path / "no-such-model"))


# -- similarity and clustering ------------------------------------------------------------

def test_numbers_compare_by_value_not_by_embedding():
    sim = similarities(["41", "42", "42.0", "forty-two", "Paris"], "all-MiniLM-L6-v2")
    assert sim[0, 1] == 0.0  # their embeddings are close (about 0.8)
    assert sim[1, 2] == 1.0
    assert 0.3 < sim[1, 3] < 1.0  # a number and a word: the embedding decides
    assert sim[4, 4] == 1.0 and (sim == sim.T).all()


def test_clustering_uses_average_linkage_in_the_given_order():
    import numpy as np

    sim = np.array([[1.0, 0.9, 0.5], [0.9, 1.0, 0.8], [0.5, 0.8, 1.0]])
    # 2 is close to 1 but not to 0: on average (0.65) it stays out at 0.75
    assert cluster(sim, [0, 1, 2], 0.75) == [[0, 1], [2]]
    assert cluster(sim, [2, 1, 0], 0.75) == [[2, 1], [0]]
    assert cluster(sim, [2, 1, 0], 0.7) == [[2, 1, 0]]
    assert cluster(sim, [0, 2], 0.75) == [[0], [2]]
    assert medoid(sim, [0, 1, 2]) == 1 and medoid(sim, [0, 2]) == 0


@pytest.mark.parametrize("response, expected", [
    ("so <answer>Paris</answer>", ("Paris", "tag")),
    ("The answer is Paris.", ("Paris", "answer_is")),
    ("Founded in 987 AD", (None, None)),
    ("", (None, None)),
])
def test_free_answer_ignores_a_bare_last_number(response, expected):
    assert free_answer(response, "answer") == expected


def test_text_for():
    assert text_for(" so <answer>Paris</answer> ", "Paris", "answer") == "Paris"
    assert text_for(" so <answer>Paris</answer> ", "Paris", "response") == (
        "so <answer>Paris</answer>")
    assert text_for(" Paris ", None, "answer") == "Paris"


# -- the comparator -----------------------------------------------------------------------

def compare(sample, responses, **config):
    comparator = SemanticComparator(SemanticCompareConfig(**config))
    return asyncio.run(comparator.compare(None, sample, responses))


def test_the_comparator_scores_paraphrases_correct_and_others_not():
    responses = ["<answer>paris, France</answer>", "It is Paris", "<answer>Lyon</answer>",
                 "", "I think the answer is Berlin."]
    attempts = compare(attrs.evolve(SAMPLE, answer="Paris"), responses)
    assert [a.correct for a in attempts] == [True, True, False, False, False]
    assert [a.answer for a in attempts] == ["paris, France", None, "Lyon", None, "Berlin"]
    assert [a.response for a in attempts] == responses
    assert attempts[0].reason.startswith("similarity 0.9") and attempts[0].reason.endswith(
        " >= 0.75")
    assert attempts[2].reason.endswith(" < 0.75") and attempts[3].reason == "empty response"
    assert attempts[0].extractor == "tag" and attempts[1].extractor is None


def test_the_comparator_threshold_and_number_rules():
    sample = attrs.evolve(SAMPLE, answer="42")
    attempts = compare(sample, tagged("42.0", "41", "forty-two"), threshold=0.5)
    assert [a.correct for a in attempts] == [True, False, True]
    assert attempts[1].reason == "similarity 0.000 < 0.5"


def test_the_comparator_falls_back_to_the_reference_and_needs_a_label():
    with_reference = attrs.evolve(SAMPLE, reference="Paris")
    assert [a.correct for a in compare(with_reference, ["It is Paris", "Lyon"])] == [True, False]
    unlabelled = compare(SAMPLE, ["<answer>Paris</answer>"])
    assert [(a.correct, a.reason, a.answer) for a in unlabelled] == [
        (False, "the sample has no label", "Paris")]
    assert compare(with_reference, []) == []


def test_the_comparator_embeds_all_responses_in_one_batch(monkeypatch):
    import sdgcore as embeddings  # plugins call the public sdgcore.embed

    calls = []
    real = embeddings.embed

    def spy(texts, *args, **kwargs):
        calls.append(list(texts))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(embeddings, "embed", spy)
    compare(attrs.evolve(SAMPLE, answer="Paris"), ["It is Paris", "<answer>Lyon</answer>", ""])
    assert calls == [["Paris", "It is Paris", "Lyon", ""]]


def test_comparisons_in_flight_at_once_agree_with_one_at_a_time():
    comparator = SemanticComparator(SemanticCompareConfig())
    samples = [attrs.evolve(SAMPLE, answer=a) for a in ("Paris", "Lyon", "Rome", "Berlin")]
    responses = ["It is Paris", "<answer>Lyon</answer>", "Rome, Italy", "Berlin"]

    async def together():
        return await asyncio.gather(*(comparator.compare(None, s, responses) for s in samples))

    alone = [asyncio.run(comparator.compare(None, s, responses)) for s in samples]
    assert asyncio.run(together()) == alone
    assert [[a.correct for a in attempts] for attempts in alone] == [
        [i == j for j in range(4)] for i in range(4)]


# -- end to end -----------------------------------------------------------------------------

def test_a_run_with_the_semantic_comparator(sdg_cli, make_plugin_manager, fake_openai, tmp_path):
    def script(request):
        if request.model == "teacher-model":
            return [Reply(r) for r in tagged("Paris", "It is Paris", "Paris", "Lyon", "Paris")]
        return [Reply(r) for r in tagged("Paris", "paris, France", "Lyon",
                                         "Marseille")]

    fake_openai.script = Script.respond(script)
    remote = {"backend": "openai_compat", "api_base": fake_openai.url,
              "limits": {"backoff": 0.01, "retries": 0, "timeout": 10}}
    run_dir = tmp_path / "run"
    config = {
        "task": {"type": "list", "questions": ["What is the capital of France?"]},
        "models": {role: {**remote, "model": f"{role}-model"}
                   for role in ("teacher", "student", "judge")},
        "voter": {"type": "semantic", "k": 5},
        "solve": {"n": 4, "comparator": "semantic"},
        "target": {"learnable": 1},
        "run": {"dir": str(run_dir)},
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    result = sdg_cli(["run", str(path)], manager=make_plugin_manager(components, plugin))
    assert result.exit_code == 0, result.output
    [sample] = [Sample.from_json(line)
                for line in (run_dir / "learnable.jsonl").read_text().splitlines()]
    assert sample.answer == "Paris" and sample.agreement == 0.8
    # the exact comparator would pass only the first attempt (0.25)
    assert sample.pass_rate == 0.5
    assert [a.correct for a in sample.attempts] == [True, True, False, False]
    assert all(a.reason.startswith("similarity ") for a in sample.attempts)
