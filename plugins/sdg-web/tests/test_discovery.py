"""Discovery: the teacher's keywords, the Hub searches, and every filter, on the fake Hub."""

import asyncio
from pathlib import Path

import pytest

from sdg_web.config import WebConfig
from sdg_web.discovery import Candidate, keywords, screen, search, size_bounds
from sdg_web.hub import Hub
from sdg_web.prompts import KEYWORDS_SCHEMA
from sdgcore.testing import Models, structure
from sdgcore.testing.modules import load_path
from sdgcore.testing.server import FakeOpenAIServer, Reply, Script

world = load_path(Path(__file__).with_name("world.py"), "sdg_web_test_world")


def config(**extra) -> WebConfig:
    return WebConfig(**{"query": "arithmetic", "max_size": 1_000_000, **extra})


def test_searches_are_deduplicated_and_sorted_by_downloads(on_fake_hub):
    found = search(Hub(config()), ["arith", "arith-qa"], config())
    assert [c.id for c in found] == ["acme/arith-gated", "acme/arith-qa", "acme/arith-nc",
                                     "acme/arith-huge", "acme/arith-facts", "acme/arith-poems"]
    assert {c.keyword for c in found} == {"arith"}  # arith-qa was found by the first search
    searches = on_fake_hub.hits(r"^/api/datasets$")
    assert [s.query["search"] for s in searches] == [["arith"], ["arith-qa"]]
    assert all(s.query["filter"] == ["modality:text"] and s.query["sort"] == ["downloads"]
               and s.query["limit"] == ["20"] for s in searches)
    qa = found[1]
    assert qa.licenses == ("mit",) and qa.size == "n<1K" and qa.gated is False
    assert qa.sha and qa.downloads == 900


def test_every_filter_says_why_it_leaves_a_dataset_out(on_fake_hub):
    found = {c.id: c for c in search(Hub(config()), ["arith"], config())}
    reasons = {name: screen(c, config()) for name, c in found.items()}
    assert reasons == {
        "acme/arith-gated": "gated (auto)",
        "acme/arith-qa": None,
        "acme/arith-nc": "licence cc-by-nc-4.0 is not in the allow-list",
        "acme/arith-huge": "size 1M<n<10M is above max_size 1000000",
        "acme/arith-facts": None,
        "acme/arith-poems": None,
    }
    assert screen(found["acme/arith-gated"], config(allow_gated=True)) is None
    assert screen(found["acme/arith-nc"], config(licenses=[])) is None
    assert screen(found["acme/arith-qa"], config(min_size=1000)) == \
        "size n<1K is below min_size 1000"
    assert screen(found["acme/arith-qa"], config(tags=["format:jsonl"])) == \
        "lacks tag format:jsonl"
    assert screen(found["acme/arith-facts"], config(exclude_tags=["format:jsonl"])) == \
        "has tag format:jsonl"
    assert screen(Candidate("a/b", private=True), config()) == "private"
    assert screen(Candidate("a/b"), config()) == "no licence stated"


@pytest.mark.parametrize(("category", "bounds"), [
    ("n<1K", (0, 1_000)), ("1K<n<10K", (1_000, 10_000)), ("1M<n<10M", (10**6, 10**7)),
    ("n>1T", (10**12, float("inf"))), ("unknown", None)])
def test_size_categories(category, bounds):
    assert size_bounds(category) == bounds


def test_the_teacher_proposes_keywords_in_structured_output(make_plugin_manager, tmp_path):
    from sdg_web import plugin

    registry = make_plugin_manager(plugin).registry
    with FakeOpenAIServer(Script.respond(
            lambda r: Reply.json({"keywords": ["Arith", "sums", "arith", "x", "y", "z"]}))) \
            as server:
        cfg = structure({"task": {"type": "web", "query": "sums"},
                         "models": world.models(server.url)}, registry)
        models = Models(cfg.models, tmp_path / "cache.sqlite")

        async def ask():
            try:
                return await keywords(models["teacher"], config(keywords=["given"],
                                                                max_keywords=3), 0)
            finally:
                await models.aclose()

        found = asyncio.run(ask())
        [request] = server.requests
    assert found == ["given", "arith", "sums"]  # given first, then at most 3, de-duplicated
    assert request.body["response_format"]["json_schema"]["schema"] == KEYWORDS_SCHEMA
    assert "arithmetic" in request.body["messages"][-1]["content"]
