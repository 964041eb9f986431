"""The world the ``web`` task's tests run in: a fake Hub holding a few small arithmetic
datasets (and some that the filters must leave out), and a scripted teacher, judge and student
on the loopback OpenAI-compatible server.

Datasets found by the search ``arith`` (most downloaded first):

* ``acme/arith-gated`` — gated: left out (``allow_gated`` is off);
* ``acme/arith-qa`` — parquet, MIT: ``problem`` / ``solution`` (a worked answer ending
  ``#### N``), the judge maps it as it is (relevance 5, quality 4: weight 20);
* ``acme/arith-nc`` — CC BY-NC: left out by the licence allow-list;
* ``acme/arith-huge`` — its card says 1M<n<10M rows: left out by ``max_size``;
* ``acme/arith-facts`` — JSONL, Apache-2.0: ``text`` (a statement) / ``result``, the judge says
  its rows must be rewritten (relevance 4, quality 3: weight 12), the teacher converts them;
* ``acme/arith-poems`` — MIT, poems about numbers: the judge scores it irrelevant;
* ``acme/arith-private`` — private: the search never shows it without the token.

``other/cooking`` matches no search.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from sdg_web.testing import HubRepo, dataset_repo
from sdgcore.testing.replies import Fault, IncomingRequest, Reply

QA = [{"problem": f"What is {a} + {b}?", "solution": f"We add {a} and {b}.\n#### {a + b}"}
      for a, b in zip(range(1, 31), range(40, 10, -1), strict=True)]
FACTS = [{"text": f"Multiplying {a} by {b} gives {a * b}.", "result": a * b}
         for a, b in zip(range(2, 20), range(3, 21), strict=True)]
POEMS = [{"poem": f"Number {i} is round and fine,\nit dances in a line.", "title": f"Ode {i}"}
         for i in range(10)]


def repos() -> list[HubRepo]:
    """Every repository of the fake Hub."""
    return [
        dataset_repo("acme/arith-gated", {"train": QA[:5]}, gated="auto", downloads=5000),
        dataset_repo("acme/arith-qa", {"train": QA, "test": QA[:3]}, downloads=900,
                     description="Addition problems with worked solutions."),
        dataset_repo("acme/arith-nc", {"train": QA[:5]}, license="cc-by-nc-4.0",
                     downloads=800),
        dataset_repo("acme/arith-huge", {"train": QA[:5]}, size_rows=5_000_000,
                     downloads=700),
        dataset_repo("acme/arith-facts", {"train": FACTS}, fmt="jsonl", license="apache-2.0",
                     downloads=500, description="Multiplication facts, one sentence each."),
        dataset_repo("acme/arith-poems", {"train": POEMS}, downloads=300),
        dataset_repo("acme/arith-private", {"train": QA[:5]}, private=True, downloads=9000),
        dataset_repo("other/cooking", {"train": [{"recipe": "Boil an egg."}]}, downloads=99),
    ]


MAPS = {
    "acme/arith-qa": {"question": "problem", "answer": "solution", "reference": None,
                      "context": None, "relevance": 5, "quality": 4,
                      "needs_conversion": False, "reason": "addition problems with answers"},
    "acme/arith-facts": {"question": "text", "answer": "result", "reference": None,
                         "context": None, "relevance": 4, "quality": 3,
                         "needs_conversion": True, "reason": "facts, not questions"},
    "acme/arith-poems": {"question": "poem", "answer": None, "reference": None,
                         "context": None, "relevance": 1, "quality": 2,
                         "needs_conversion": True, "reason": "poems, not arithmetic"},
}
"""The judge's mapping of each dataset it is shown."""
KEYWORDS = ["arith", "arith-qa"]
"""The teacher's search keywords (the second finds a dataset the first found already)."""
_FACT = re.compile(r"Multiplying (\d+) by (\d+) gives (\d+)")


def solve(question: str) -> int | None:
    """The right answer to a question of this world."""
    found = re.search(r"(\d+) (\+|times) (\d+)", question)
    if not found:
        return None
    a, op, b = int(found.group(1)), found.group(2), int(found.group(3))
    return a + b if op == "+" else a * b


def last_user(request: Any) -> str:
    """The last user message of a request (an incoming or a logged one)."""
    users = [m["content"] for m in request.body["messages"] if m["role"] == "user"]
    return users[-1] if users else ""


def kind(request: Any) -> str:
    """What a request (incoming or logged) asks: keywords, map, convert, vote, solve."""
    text = last_user(request)
    if "search terms" in text:
        return "keywords"
    if "Map the columns" in text:
        return "map"
    if "Rewrite this dataset row" in text:
        return "convert"
    return "vote" if request.body["model"] == "teacher-model" else "solve"


def answer(request: IncomingRequest) -> Any:
    """The scripted teacher, judge and student.

    The student gets an addition right on half its attempts and a converted multiplication
    on all of them; the teacher votes the right answer, except for ``What is 7 + 34?``,
    where it votes 40 (a label a gold answer must catch)."""
    text = request.last_user
    asked = kind(request)
    if asked == "keywords":
        return Reply.json({"keywords": KEYWORDS})
    if asked == "map":
        dataset = re.search(r"Dataset: (\S+)", text).group(1)
        return Reply.json(MAPS[dataset])
    if asked == "convert":
        a, b, product = _FACT.search(text).groups()
        return Reply.json({"question": f"What is {a} times {b}?", "answer": product,
                           "reference": f"{a} x {b} = {product}"})
    right = solve(text)
    if right is None:
        return Fault.server_error(400, f"no question in {text[:60]!r}")
    if asked == "vote":
        voted = 40 if "What is 7 + 34?" in text else right
        return [Reply(f"So <answer>{voted}</answer>")] * request.n
    attempts = [right] * request.n if "times" in text else [right, right + 1] * request.n
    return [Reply(f"I think <answer>{a}</answer>") for a in attempts[: request.n]]


def models(api_base: str) -> dict[str, Any]:
    """``models:`` with every role on the scripted server."""
    remote = {"backend": "openai_compat", "api_base": api_base,
              "limits": {"backoff": 0.01, "retries": 1, "timeout": 20}}
    return {"teacher": {**remote, "model": "teacher-model"},
            "judge": {**remote, "model": "judge-model"},
            "student": {**remote, "model": "student-model"}}


def task(**extra: Any) -> dict[str, Any]:
    """``task:`` searching the fake Hub for arithmetic, sizes up to 1M rows."""
    return {"type": "web", "query": "arithmetic word problems", "max_size": 1_000_000,
            "max_rows": 40, "probe_rows": 3, "hub_backoff": 0.01, **extra}


def write_config(path: Path, api_base: str, run_dir: Path, **sections: Any) -> Path:
    """A whole run config: the web task on the fake Hub, every role scripted."""
    data = {"task": task(), "models": models(api_base), "label": "gold",
            "voter": {"type": "exact", "k": 3}, "solve": {"n": 4},
            "rewrite": {"type": "difficulty", "max_rounds": 0},
            "target": {"learnable": 100, "batch": 100}, "budget": {"samples": 100},
            "run": {"dir": str(run_dir), "concurrency": 4}, **sections}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def read(run_dir: Path, name: str) -> list[dict[str, Any]]:
    """The samples of one output file of a run, as dicts."""
    path = run_dir / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
