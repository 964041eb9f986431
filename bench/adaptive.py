"""Adaptive solving benchmark: student completions per categorized sample with adaptive solve
vs a fixed ``solve.n = 8``, and how often the category changes.

The world: questions with known pass rates (``--questions``, seeded): a share at p = 0 (never
solved), a share at p = 1 (always solved), the rest uniform in (0.05, 0.95). The scripted
loopback server answers the teacher with the right answer, and the student right with
probability p, drawn from a hash of the question, the request's seed and the choice index.
Each condition is a real ``sdg run`` (a subprocess, the ``list`` task, exact voting, no
rewriting) against that server; the server's log counts the student's completions.

Three measures of category change against fixed n = 8:
- *pipeline*: the categories of the two runs, question by question. Adaptive batches are
  separate requests with their own seeds, so this includes plain sampling noise: two fixed-n
  runs with different seeds differ too (the ``fixed n=8, seed 1`` row shows how much).
- *same draws*: each question's 8 outcomes drawn once; fixed n takes all 8, adaptive stops
  where :func:`sdgcore.pipeline.adaptive.decided` says. This isolates the stopping rule: the
  ``certain`` rule never changes a category, ``uniform_stop`` and ``risk`` can.
- *expected*: completions and changes the stopping rule gives on average over all draws, from
  the questions' true pass rates (exact, no sampling noise).

The ``risk`` rows use a ``solve.prior`` fitted (:mod:`sdgcore.pipeline.fit_prior`) from an
earlier fixed-n run over other questions of the same world, as a user would. The *best
possible* lines are no runs but the expected trade of stopping after ``m`` agreeing attempts
(batch 1). Under the default band the only undecided samples are those whose attempts all
agree so far, so any rule that looks at a sample's own attempts is a choice of ``m`` (or a mix
of two): no rule does better than these lines, whatever prior it is given.

    python bench/adaptive.py [--questions 300] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import random
import subprocess
import tempfile
import time
from pathlib import Path

from common import add_output_args, print_table, write_results

from sdgcore.config.schema import SolveSection
from sdgcore.pipeline.adaptive import decided
from sdgcore.pipeline.fit_prior import outcomes
from sdgcore.pipeline.prior import Prior, fit
from sdgcore.testing import world
from sdgcore.testing.replies import Reply
from sdgcore.testing.server import FakeOpenAIServer, Script

N = 8
COLUMNS = ("condition", "student completions / sample", "vs fixed", "requests / sample",
           "category changed (pipeline)", "category changed (same draws)",
           "expected: completions / sample, changed")
CONDITIONS = [
    ("fixed n=8", {"n": N}),
    ("fixed n=8, seed 1", {"n": N}),
    ("adaptive, batch 2", {"n": N, "adaptive": True, "batch": 2}),
    ("adaptive, batch 2, uniform_stop 4", {"n": N, "adaptive": True, "batch": 2,
                                           "uniform_stop": 4}),
    ("adaptive, batch 2, uniform_stop 6", {"n": N, "adaptive": True, "batch": 2,
                                           "uniform_stop": 6}),
    ("adaptive, batch 1, uniform_stop 4", {"n": N, "adaptive": True, "batch": 1,
                                           "uniform_stop": 4}),
    ("adaptive, batch 2, risk 0.05, fitted prior", {"n": N, "adaptive": True, "batch": 2,
                                                    "risk": 0.05}),
    ("adaptive, batch 1, risk 0.05, fitted prior", {"n": N, "adaptive": True, "batch": 1,
                                                    "risk": 0.05}),
    ("adaptive, batch 1, risk 0.1, fitted prior", {"n": N, "adaptive": True, "batch": 1,
                                                   "risk": 0.1}),
]


def pass_rates(count: int, seed: int, never: float, always: float) -> list[float]:
    rng = random.Random(seed)
    return [0.0 if (u := rng.random()) < never else 1.0 if u < never + always
            else round(rng.uniform(0.05, 0.95), 3) for _ in range(count)]


def draw(*parts: object) -> float:
    digest = hashlib.sha256(json.dumps(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def script(rates: dict[str, float]) -> Script:
    def answer(request):
        question = request.last_user.split("\n")[0]
        p = rates[next(q for q in rates if question.startswith(q))]
        if request.model == "teacher-model":
            return [Reply("<answer>1</answer>")] * request.n
        seed = request.body.get("seed")
        return [Reply("<answer>1</answer>" if draw(question, seed, i) < p
                      else "<answer>0</answer>") for i in range(request.n)]
    return Script.respond(answer)


def category(correct: int, made: int) -> str:
    rate = correct / made
    return "too_hard" if rate <= 0.0 else "too_easy" if rate >= 1.0 else "learnable"


def same_draws(rates: list[float], solve: dict, seed: int) -> tuple[float, float]:
    """(completions / sample, share changed) of the stopping rule on shared outcomes."""
    cfg = SolveSection(**solve)
    prior = Prior.of(cfg.prior)
    made_total, changed = 0, 0
    for i, p in enumerate(rates):
        drawn = [draw("same", seed, i, k) < p for k in range(N)]
        fixed = category(sum(drawn), N)
        if not cfg.adaptive:
            made_total += N
            continue
        made = 0
        while True:
            made = min(N, made + cfg.batch)
            if decided(sum(drawn[:made]), made, N, 0.0, 1.0, cfg.uniform_stop, risk=cfg.risk,
                       prior=prior):
                break
        made_total += made
        changed += category(sum(drawn[:made]), made) != fixed
    return made_total / len(rates), changed / len(rates)


def expected(rates: list[float], solve: dict) -> tuple[float, float]:
    """Exact expected (completions / sample, share changed) of the stopping rule on the
    questions' true pass rates: the *same draws* measure without its sampling noise."""
    cfg = SolveSection(**solve)
    if not cfg.adaptive:
        return N, 0.0
    prior = Prior.of(cfg.prior)
    stops = functools.cache(lambda correct, made: decided(
        correct, made, N, 0.0, 1.0, cfg.uniform_stop, risk=cfg.risk, prior=prior))
    made_total = changed = 0.0
    for p in rates:
        states = {(0, 0): 1.0}  # (correct, made) not yet stopped -> probability
        while states:
            going: dict[tuple[int, int], float] = {}
            for (correct, made), chance in states.items():
                batch = min(cfg.batch, N - made)
                for k in range(batch + 1):
                    at = (correct + k, made + batch)
                    reach = chance * math.comb(batch, k) * p ** k * (1 - p) ** (batch - k)
                    if not stops(*at):
                        going[at] = going.get(at, 0.0) + reach
                        continue
                    made_total += reach * at[1]
                    rest = N - at[1]
                    changed += reach * sum(
                        math.comb(rest, j) * p ** j * (1 - p) ** (rest - j)
                        for j in range(rest + 1)
                        if category(at[0] + j, N) != category(*at))
            states = going
    return made_total / len(rates), changed / len(rates)


def run_dir_of(tmp: Path, name: str) -> Path:
    return tmp / name.replace(" ", "_").replace(",", "").replace("=", "")


def run_condition(tmp: Path, url: str, questions: list[str], solve: dict,
                  seed: int, name: str) -> dict[str, str]:
    run_dir = run_dir_of(tmp, name)
    config = world.write_config(tmp / f"{run_dir.name}.yaml", url, run_dir, questions,
                                solve=solve, rewrite=None, target={"learnable": 10**6},
                                run={"dir": str(run_dir), "seed": seed, "concurrency": 64})
    proc = subprocess.run(world.sdg_command(config), env=world.sdg_env(), capture_output=True,
                          text=True)
    if proc.returncode:
        raise RuntimeError(f"sdg run failed: {proc.stderr[-2000:]}")
    out = {}
    for name_ in ("learnable", "too_easy", "too_hard"):
        path = run_dir / f"{name_}.jsonl"
        for line in path.open() if path.exists() else []:
            row = json.loads(line)
            out[row["question"]] = name_
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--never", type=float, default=0.3, help="share of questions at p=0")
    parser.add_argument("--always", type=float, default=0.3, help="share at p=1")
    parser.add_argument("--seed", type=int, default=0)
    add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.questions = 40
    rates = pass_rates(args.questions, args.seed, args.never, args.always)
    questions = [f"Q{i} [p={p}]" for i, p in enumerate(rates)]
    earlier_rates = pass_rates(args.questions, args.seed + 1000, args.never, args.always)
    earlier = [f"E{i} [p={p}]" for i, p in enumerate(earlier_rates)]
    by_question = dict(zip(questions + earlier, rates + earlier_rates, strict=True))
    rows, table, baseline = [], [], None
    started = time.perf_counter()
    with FakeOpenAIServer(script(by_question)) as server, \
            tempfile.TemporaryDirectory() as tmp:
        run_condition(Path(tmp), server.url, earlier, {"n": N}, args.seed, "earlier")
        prior = fit(outcomes(run_dir_of(Path(tmp), "earlier"))).as_config()
        print(f"prior fitted from the earlier run: {prior}")
        for name, solve in CONDITIONS:
            if "risk" in solve:
                solve = {**solve, "prior": prior}
            before = len(server.requests)
            cats = run_condition(Path(tmp), server.url, questions, solve,
                                 1 if "seed 1" in name else args.seed, name)
            student = [r.body for r in server.requests[before:]
                       if r.body and r.body.get("model") == "student-model"]
            completions = sum(b.get("n", 1) for b in student) / len(cats)
            requests = len(student) / len(cats)
            if baseline is None:
                baseline = {"cats": cats, "completions": completions}
            changed = sum(cats[q] != baseline["cats"].get(q) for q in cats) / len(cats)
            sim_completions, sim_changed = same_draws(rates, solve, args.seed)
            exp_completions, exp_changed = expected(rates, solve)
            rows.append({"condition": name, "solve": solve, "samples": len(cats),
                         "student_completions_per_sample": completions,
                         "requests_per_sample": requests, "changed_pipeline": changed,
                         "same_draws_completions_per_sample": sim_completions,
                         "changed_same_draws": sim_changed,
                         "expected_completions_per_sample": exp_completions,
                         "expected_changed": exp_changed})
            table.append([name, f"{completions:.2f}",
                          f"{completions / baseline['completions']:.2f}x", f"{requests:.2f}",
                          f"{changed:.1%}", f"{sim_changed:.1%}",
                          f"{exp_completions:.2f}, {exp_changed:.1%}"])
    for agreeing in (5, 6, 7):  # what a rule that knew the true pass rates would do
        made, changed = expected(rates, {"n": N, "adaptive": True, "batch": 1, "risk": None,
                                         "uniform_stop": agreeing})
        rows.append({"condition": f"best possible: stop after {agreeing} agreeing",
                     "expected_completions_per_sample": made, "expected_changed": changed})
        table.append([f"best possible: batch 1, stop after {agreeing} agreeing", "", "", "",
                      "", "", f"{made:.2f} ({made / N:.2f}x), {changed:.1%}"])
    title = (f"adaptive solve: {args.questions} questions ({args.never:.0%} never solved, "
             f"{args.always:.0%} always), n={N}, {time.perf_counter() - started:.0f}s")
    print_table(title, COLUMNS, table)
    path = write_results("adaptive", args.json, args=args, rows=rows, title=title,
                         columns=COLUMNS, table=table)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
