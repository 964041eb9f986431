"""Drills for a whole run in a subprocess: killed and resumed, or against a faulty server.

Both use the scripted teacher and student of :mod:`sdgcore.testing.world` on a
:class:`~sdgcore.testing.server.FakeOpenAIServer` in the calling process, whose request log
says what was sent; the run directory's request cache says what was kept.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from sdgcore.testing.world import reference, sdg_command, sdg_env

CATEGORIES = ("learnable", "too_easy", "too_hard", "dropped")
_REF = re.compile(r"\(ref ([0-9a-f]{16})\)")
"""A reply's reference (see :mod:`sdgcore.testing.world`)."""


def datasets(run_dir: Path) -> dict[str, list[str]]:
    """Each category's JSONL lines, sorted (order-insensitive comparison of two runs)."""
    return {name: sorted((run_dir / f"{name}.jsonl").read_text(encoding="utf-8").splitlines())
            for name in CATEGORIES}


def outputs(run_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Each category's samples, as dicts."""
    return {name: [json.loads(line) for line in lines]
            for name, lines in datasets(run_dir).items()}


def committed(run_dir: Path, cache_file: str = "requests.sqlite") -> set[str]:
    """The references of every reply the run's request cache holds (paid for and kept)."""
    path = run_dir / cache_file
    if not path.exists():
        return set()
    db = sqlite3.connect(path, timeout=60)
    try:
        found: set[str] = set()
        for (text,) in db.execute("SELECT text FROM choices"):
            found.update(_REF.findall(text))
        return found
    finally:
        db.close()


def references(bodies: Iterable[Any]) -> list[str]:
    """The references of request bodies (a server's logged requests)."""
    return [reference(body) for body in bodies]


def logical_key(body: Any) -> str:
    """What one :meth:`Endpoint.chat` call keeps across its retries and re-asks: the model,
    the temperature and the prompt up to its first user message (re-asks append to it,
    retries of a truncated reply change the seed, partial replies change ``n``)."""
    messages = list(body.get("messages") or [])
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    prompt = messages[: users[0] + 1] if users else messages
    return json.dumps([body.get("model"), body.get("temperature"), prompt], sort_keys=True)


@attrs.frozen
class KillDrill:
    """What one kill-and-resume drill saw.

    :param kill_after: requests the server had received when the run was killed.
    :param before: requests the killed run sent.
    :param after: requests the resumed run sent.
    :param committed: replies the request cache held at the kill (paid for and kept).
    :param paid_twice: requests of the resumed run whose reply was committed before the kill.
    :param in_flight: requests in flight at the kill (no reply, or a reply not yet
        committed) and sent again.
    :param failed_again: requests that had failed before the kill (a 4xx or 5xx reply,
        never cached) and were sent again.
    :param exit_code: the resumed run's exit status.
    :param stderr: the resumed run's standard error.
    """

    kill_after: int
    before: int
    after: int
    committed: int
    paid_twice: int
    in_flight: int
    failed_again: int
    exit_code: int
    stderr: str


def kill_and_resume(server: Any, config: Path, run_dir: Path, kill_after: int, *,
                    timeout: float = 120.0,
                    before_resume: Callable[[], None] | None = None) -> KillDrill:
    """Run ``sdg run config`` in a subprocess, SIGKILL it once ``server`` (a started
    :class:`~sdgcore.testing.server.FakeOpenAIServer`) has received ``kill_after`` more
    requests (or when it ends, if sooner), then run it again to completion.

    :param before_resume: called between the kill and the resume (a test that damages the
        run directory on purpose shows the drill notices)."""
    mark = server.count()
    proc = subprocess.Popen(sdg_command(config), env=sdg_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while not server.wait_for(mark + kill_after, timeout=0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            break
    proc.kill()
    proc.wait(timeout=30)
    time.sleep(0.2)  # let the server log what it was answering when the client died
    before = server.requests[mark:]
    kept = committed(run_dir)
    sent_before = set(references(r.body for r in before))
    failed = set(references(r.body for r in before if r.status not in (None, 200)))
    if before_resume is not None:
        before_resume()
    done = subprocess.run(sdg_command(config), env=sdg_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)
    after = references(r.body for r in server.requests[mark + len(before):])
    return KillDrill(kill_after=kill_after, before=len(before), after=len(after),
                     committed=len(kept), paid_twice=sum(ref in kept for ref in after),
                     in_flight=len({ref for ref in after if ref in sent_before - kept - failed}),
                     failed_again=len({ref for ref in after if ref in failed - kept}),
                     exit_code=done.returncode, stderr=done.stderr)


@attrs.frozen
class FaultDrill:
    """What one run against a faulty server did.

    :param hung: the run did not end within the harness's time limit (it was killed).
    :param exit_code: the run's exit status (None if it hung).
    :param counts: samples per category.
    :param faults: failed requests per kind: the faults injected, and ``refused (400)`` for
        the script's refusals of ``[broken]`` questions.
    :param requests: requests the server received.
    :param calls_max: the most server requests one logical request took.
    :param over_bound: logical requests that took more than their retries allow.
    :param unaccounted: generated questions in no dataset and not dropped.
    :param duplicated: sample ids found more than once across the datasets.
    :param no_reason: dropped samples without a reason.
    :param orphans: rewrites whose parent is in no dataset.
    :param reasons: dropped samples per reason (up to its first colon-separated parts).
    :param seconds: wall time of the run.
    """

    hung: bool
    exit_code: int | None
    counts: dict[str, int]
    faults: dict[str, int]
    requests: int
    calls_max: int
    over_bound: int
    unaccounted: int
    duplicated: int
    no_reason: int
    orphans: int
    reasons: dict[str, int]
    seconds: float
    stderr: str = ""


def run_with_faults(server: Any, config: Path, run_dir: Path, items: Sequence[str], *,
                    retries: int, reask: int, timeout: float = 120.0) -> FaultDrill:
    """Run ``sdg run config`` in a subprocess against ``server`` (serving a faulty
    :func:`script`) and check the outcome: every question of ``items`` in a dataset or
    dropped with a reason, no request retried past ``retries`` (+ ``reask`` for structured
    output), the run ended within ``timeout``."""
    mark = server.count()
    started = time.monotonic()
    hung, code, err = False, None, ""
    try:
        done = subprocess.run(sdg_command(config), env=sdg_env(), capture_output=True,
                              text=True, timeout=timeout, check=False)
        code, err = done.returncode, done.stderr
    except subprocess.TimeoutExpired as exc:
        hung, err = True, str(exc.stderr or "")
    seconds = time.monotonic() - started
    time.sleep(0.2)
    log = server.requests[mark:]
    calls = Counter(logical_key(r.body) for r in log if r.body)
    structured = {logical_key(r.body) for r in log if r.body and r.body.get("response_format")}
    over = sum(count > 1 + retries + (reask if key in structured else 0)
               for key, count in calls.items())
    faults = Counter("refused (400)" if r.status == 400 else r.outcome
                     for r in log if r.outcome != "ok")
    found = outputs(run_dir) if not hung and code == 0 else {c: [] for c in CATEGORIES}
    samples = [s for group in found.values() for s in group]
    ids = Counter(s["id"] for s in samples)
    roots = {s["question"] for s in samples if s["parent_id"] is None}
    dropped = found["dropped"]
    reasons = Counter(":".join(str(s["dropped"]).split(":")[:2]) for s in dropped)
    return FaultDrill(
        hung=hung, exit_code=code, counts={c: len(v) for c, v in found.items()},
        faults=dict(sorted(faults.items())), requests=len(log),
        calls_max=max(calls.values(), default=0), over_bound=over,
        unaccounted=len(set(items) - roots), duplicated=sum(n > 1 for n in ids.values()),
        no_reason=sum(not s["dropped"] for s in dropped),
        orphans=sum(s["parent_id"] is not None and s["parent_id"] not in ids for s in samples),
        reasons=dict(reasons.most_common()), seconds=round(seconds, 2), stderr=err[-2000:])

