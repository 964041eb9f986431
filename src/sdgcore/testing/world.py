"""A scripted teacher and student for whole-pipeline tests, drills and benchmarks.

Questions carry a tag (``"Q7 [easy]"``) that decides every reply: the teacher's k answers,
the student's attempts, and what a rewrite turns the question into. Replies depend only on the
request's content, so a run is deterministic whatever order requests arrive in, and the
datasets of a run are the same however often it was interrupted.

Every reply carries a *reference*: a digest of the request body that asked for it
(``"(ref 3f2a…)"``). The request cache stores reply texts, so a drill can read from a run
directory which requests were paid for and kept (:func:`sdgcore.testing.drills.committed`).

``python -m sdgcore.testing.world`` serves the script in its own process (benchmarks), with
``--faults RATE`` injecting every fault kind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from sdgcore.testing.replies import Answer, Fault, IncomingRequest, Reply, Script

TEACHER = {
    "learnable": ["4"] * 5,
    "easy": ["7"] * 5,
    "hard": ["9"] * 5,
    "split": ["1", "1", "2", "2", "3"],
    "harder-easy": ["8"] * 5,
    "easier-hard": ["3"] * 5,
}
"""Question tag -> the teacher's answers (``split`` never reaches agreement)."""
STUDENT = {
    "learnable": ["4", "5", "4", "5"],
    "easy": ["7"] * 4,
    "hard": ["0"] * 4,
    "harder-easy": ["8", "8", "1", "1"],
    "easier-hard": ["0"] * 4,
}
"""Question tag -> the student's attempts."""
GREEDY = {"harder-easy": "1"}
"""Question tag -> the student's greedy answer (temperature 0: the ``solve.gate`` attempt),
where it is not the first of its attempts above (a harder rewrite fails the gate)."""
REWRITES = {"easy": "harder-easy", "hard": "easier-hard"}
"""Question tag -> the tag of its rewrite (a too-easy question made harder is learnable)."""
KINDS = ("learnable", "easy", "hard", "split", "broken")
"""The tags :func:`questions` cycles through (``broken``: the teacher refuses with a 400)."""
_QID = re.compile(r"\bQ\d+\b")


def questions(n: int, kinds: Sequence[str] = KINDS) -> list[str]:
    """``n`` distinct questions, cycling through ``kinds``."""
    return [f"Q{i} [{kinds[i % len(kinds)]}]" for i in range(n)]


def tag_of(text: str) -> str | None:
    """The tag in ``text`` (the longest that matches), or None."""
    for tag in sorted(TEACHER, key=len, reverse=True):
        if f"[{tag}]" in text:
            return tag
    return "broken" if "[broken]" in text else None


def reference(body: Any) -> str:
    """The reference a reply to the request ``body`` carries: a digest of the body."""
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def answer(request: IncomingRequest) -> Answer:
    """The scripted reply to ``request`` (use with :meth:`Script.respond`)."""
    text = request.last_user
    tag = tag_of(text)
    ref = f"(ref {reference(request.body)})"
    if request.body.get("response_format"):  # a rewrite: the teacher makes a new question
        new = REWRITES.get(tag or "")
        if new is None:
            return Reply.json({"question": text})
        qid = _QID.search(text)
        return Reply.json({"question": f"A rewritten question [{new}] from "
                                       f"{qid.group(0) if qid else text[:20]!r}",
                           "change": f"adjusted {ref}"})
    if tag == "broken":
        return Fault.server_error(400, "the teacher refuses")
    if tag is None:
        return Fault.server_error(400, f"the script has no tag in {text[:60]!r}")
    if request.model == "teacher-model":
        answers = TEACHER[tag]
    elif request.body.get("temperature") == 0 and tag in GREEDY:
        answers = [GREEDY[tag]]
    else:
        answers = STUDENT[tag]
    return [Reply(f"Working {ref}... <answer>{a}</answer>") for a in answers[: request.n]]


def script(fault_rate: float = 0.0, seed: int = 0) -> Script:
    """The scripted teacher and student, failing a ``fault_rate`` share of requests with
    faults of every kind (:meth:`Script.with_faults`)."""
    base = Script.respond(answer)
    return base.with_faults(fault_rate, seed=seed) if fault_rate else base


def write_config(path: Path, api_base: str, run_dir: Path, items: list[str], *,
                 limits: dict[str, Any] | None = None, **sections: Any) -> Path:
    """Write a run config to ``path``: the ``list`` task over ``items``, teacher and student
    at ``api_base``, exact voting (k=5), 4 attempts, one rewrite round; ``sections`` replace
    whole top-level sections, ``limits`` the endpoints' limits."""
    remote = {"backend": "openai_compat", "api_base": api_base,
              "limits": limits or {"backoff": 0.01, "retries": 2, "timeout": 10}}
    data = {
        "task": {"type": "list", "questions": items},
        "models": {"teacher": {**remote, "model": "teacher-model"},
                   "judge": {**remote, "model": "teacher-model"},
                   "student": {**remote, "model": "student-model"}},
        "voter": {"type": "exact", "k": 5, "min_agreement": 0.6},
        "solve": {"n": 4},
        "rewrite": {"type": "difficulty", "max_rounds": 1},
        "target": {"learnable": 10 * len(items) + 100},
        "run": {"dir": str(run_dir), "concurrency": 4},
        **sections,
    }
    path.write_text(yaml.safe_dump(data, width=1000), encoding="utf-8")
    return path


def sdg_command(config: Path, *args: str) -> list[str]:
    """The ``sdg run`` command line for ``config``, with the test components loaded."""
    sdg = str(Path(sys.executable).with_name("sdg"))
    return [sdg, "-p", "sdgcore.testing.components", "run", str(config), *args]


def sdg_env() -> dict[str, str]:
    """The environment for an ``sdg`` subprocess: this one, every plugin enabled."""
    return {k: v for k, v in os.environ.items() if k != "SDG_DISABLE_PLUGINS"}


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the script on a loopback port until standard input closes; print the URL."""
    import argparse

    from sdgcore.testing.server import FakeOpenAIServer

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--faults", type=float, default=0.0, help="share of requests to fail")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(script(args.faults, args.seed), latency=args.latency).start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
