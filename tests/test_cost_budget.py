"""``budget.cost``: a hard stop on dollars, checked before each request; prices from config,
from litellm's table, free for local models; a resumed run with a larger budget finishes."""

from __future__ import annotations

import json

import pytest
import yaml

from sdgcore import Sample
from sdgcore.config.loader import structure
from sdgcore.errors import ConfigError
from sdgcore.models.cost import Price, table_price
from sdgcore.models.roles import Models
from sdgcore.plugins import create_plugin_manager
from sdgcore.testing import components, world
from sdgcore.testing.server import FakeOpenAIServer, Script

PRICE = {"prompt": 1000.0, "completion": 1000.0}  # $0.001 a token: easy sums


def priced(tmp_path, url, run_dir, cost, questions=12, **extra):
    config = world.write_config(tmp_path / "c.yaml", url, run_dir,
                                world.questions(questions, ("learnable", "easy", "hard")),
                                budget={"cost": cost}, rewrite=None,
                                run={"dir": str(run_dir), "concurrency": 2}, **extra)
    data = yaml.safe_load(config.read_text())
    for endpoint in data["models"].values():
        endpoint["price"] = PRICE
    config.write_text(yaml.safe_dump(data))
    return config


def test_no_request_is_sent_once_the_budget_is_spent_and_a_resume_finishes(
        tmp_path, sdg_cli, make_plugin_manager):
    from sdg_voting import plugin as voting

    manager = make_plugin_manager(components, voting)
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        config = priced(tmp_path, server.url, run_dir, cost=0.5)
        first = sdg_cli(["run", str(config)], manager=manager)
        sent_first = len(server.requests)
        assert first.exit_code == 0, first.output
        assert "stopped because the budget of $0.5 is spent" in first.output
        summary = json.loads((run_dir / "summary.json").read_text())
        cost = sum(m["cost"] for m in summary["models"].values())
        # checked before each request: at most the requests already in flight (concurrency
        # 2, one request each) went over, each costing well under $0.2
        assert 0.5 <= cost < 0.5 + 2 * 0.2
        dropped = [Sample.from_json(line) for line in (run_dir / "dropped.jsonl").open()]
        over = [s for s in dropped if "budget.cost" in (s.dropped or "")]
        assert over and all(s.dropped_transient for s in over)  # in flight at the stop

        # a larger budget resumes the same run (budgets are not part of its fingerprint)
        again = sdg_cli(["run", str(config), "--set", "budget.cost=100"], manager=manager)
        assert again.exit_code == 0, again.output
        assert "resuming the run" in again.output and len(server.requests) > sent_first
    assert "the learnable target is reached" in again.output or \
        "no more new samples" in again.output
    final = [Sample.from_json(line) for line in (run_dir / "dropped.jsonl").open()]
    assert not [s for s in final if "budget.cost" in (s.dropped or "")]  # all finished
    kept = sum(1 for name in ("learnable", "too_easy", "too_hard")
               for _ in (run_dir / f"{name}.jsonl").open())
    assert kept == 12


def test_the_hard_stop_holds_across_invocations(tmp_path, sdg_cli, make_plugin_manager):
    from sdg_voting import plugin as voting

    manager = make_plugin_manager(components, voting)
    run_dir = tmp_path / "run"
    with FakeOpenAIServer(Script.respond(world.answer)) as server:
        config = priced(tmp_path, server.url, run_dir, cost=0.5)
        assert sdg_cli(["run", str(config)], manager=manager).exit_code == 0
        before = len(server.requests)
        again = sdg_cli(["run", str(config)], manager=manager)  # resumed, same config
        assert again.exit_code == 0, again.output
        assert len(server.requests) == before  # the earlier spending counts: nothing sent


def test_a_missing_price_is_a_config_error_naming_the_key():
    registry = create_plugin_manager(plugins=[components]).registry
    config = structure({"task": {"type": "list", "questions": ["q"]},
                        "models": {"teacher": {"backend": "openai_compat",
                                               "model": "my-finetune",
                                               "api_base": "http://127.0.0.1:9/v1"}},
                        "budget": {"cost": 1.0}}, registry)
    with pytest.raises(ConfigError) as err:
        Models(config.models, cost_limit=config.budget.cost)
    [(where, why)] = err.value.problems
    assert where == "models.teacher.price" and "'my-finetune'" in why
    # the embedded default (llama.cpp) runs here and is free: the other roles need no price
    assert {r for r, _ in [(where, why)]} == {"models.teacher.price"}


def test_prices_come_from_config_litellms_table_or_nowhere():
    assert Price(prompt=150, completion=600).of(1000, 500) == pytest.approx(0.45)
    table = table_price("gpt-4o-mini")
    assert table is not None and table.prompt > 0 and table.completion > table.prompt
    assert table_price("openai/gpt-4o-mini") == table
    assert table_price("surely-no-such-model") is None
