"""Voter accuracy benchmark: label accuracy per voter on arithmetic word problems with
known answers, under controlled noise.

Questions are generated from templates with a seed (whole numbers, fractions, percentages,
money). For each condition, each question gets ``k`` teacher responses: a share ``noise`` of
them wrong on average (each response independently; wrong ones drawn from two plausible
distractors, so wrong answers can agree with each other and outvote the truth),
the rest right, either all written alike (``plain``: ``<answer>42</answer>``) or, with
``format`` noise, in mixed forms (``21/2`` vs ``10.5`` vs ``\\frac{21}{2}``, units, ``$``,
thousands separators, ``\\boxed{}``, "The answer is", a ``####`` line). The responses are
served as the ``n`` choices of the fake OpenAI server (``sdgcore.testing.server``), so each
voter runs exactly as in a run: one request per question through the real model layer.

Every *ready* voter registered in the plugin manager runs; ``exact`` runs twice, the second
time ``weighted`` with log-probs (right answers drawn around a mean token log-prob of -0.3,
wrong ones around -0.6). ``llm_judge`` needs a judge model: it gets the embedded llama.cpp
model (SmolLM2-135M) on a subset of ``--judge-questions`` questions, labelled as such; it
is skipped by default (0), being slow on CPU (seconds per question). A naive baseline takes
the plain string majority of the responses' raw last lines.

Reported per voter and condition: accuracy (labels equivalent to the truth / labelled),
drop rate, and correct labels / questions.

    python bench/voters.py [--questions 200] [--k 5] [--judge-questions 20] [--quick]
                           [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import tempfile
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

import attrs
from common import add_output_args, print_table, write_results

from sdg_voting.answers import equivalent, extract
from sdgcore.config.loader import structure
from sdgcore.config.values import Secret
from sdgcore.context import RunContext
from sdgcore.models import Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig, Sampling
from sdgcore.plugins.manager import create_plugin_manager
from sdgcore.records import Sample, Source
from sdgcore.testing.server import FakeOpenAIServer, Reply, Script

NOISE = (0.1, 0.3, 0.5)
FORMATS = ("plain", "format")
COLUMNS = ("voter", "condition", "questions", "accuracy", "dropped", "correct / all")


@attrs.frozen
class Problem:
    """A question with its true answer (a Fraction) and how the answer is naturally written
    (``"int"``, ``"frac"``, ``"percent"``, ``"money"``)."""

    question: str
    truth: Fraction
    kind: str


def make_problems(n: int, rng: random.Random) -> list[Problem]:
    """``n`` arithmetic word problems with known answers."""
    problems = []
    for i in range(n):
        a, b, c = rng.randint(2, 40), rng.randint(2, 12), rng.randint(1, 30)
        match i % 4:
            case 0:
                problems.append(Problem(
                    f"#{i}: A crate holds {a} apples. Ana buys {b} crates and gives away {c} "
                    "apples. How many apples does she have left?", Fraction(a * b - c), "int"))
            case 1:
                d = rng.choice([x for x in (3, 4, 6, 7, 8) if a * 10 % x])  # never whole
                problems.append(Problem(
                    f"#{i}: {a * 10} litres of juice are shared equally among {d} jugs. How "
                    "many litres go in each jug?", Fraction(a * 10, d), "frac"))
            case 2:
                total = rng.choice((20, 25, 40, 50, 80))
                passed = rng.randint(1, total - 1)
                problems.append(Problem(
                    f"#{i}: {passed} of {total} students passed the test. What percentage "
                    "passed?", Fraction(passed * 100, total), "percent"))
            case _:
                price = rng.randint(100, 999)
                problems.append(Problem(
                    f"#{i}: A ticket costs ${price}. How much do {b * 10} tickets cost?",
                    Fraction(price * b * 10), "money"))
    return problems


def _decimal(value: Fraction) -> str:
    """``value`` as an exact decimal, or as ``p/q`` where no finite decimal is exact (a
    rounded ``23.3333`` is not the answer ``70/3``)."""
    if value.denominator == 1:
        return str(value.numerator)
    rest = value.denominator
    for p in (2, 5):
        while rest % p == 0:
            rest //= p
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    return f"{float(value):.12g}"


def _plain(problem: Problem, value: Fraction) -> str:
    return f"{_decimal(value)}%" if problem.kind == "percent" else _decimal(value)


def _variant(problem: Problem, value: Fraction, rng: random.Random) -> str:
    """``value`` written in one of the forms a teacher uses for this kind of answer."""
    forms = [_decimal(value), f"\\boxed{{{_decimal(value)}}}"]
    if value.denominator != 1:
        forms += [f"{value.numerator}/{value.denominator}",
                  f"\\frac{{{value.numerator}}}{{{value.denominator}}}"]
    if problem.kind == "percent":
        forms = [f"{_decimal(value)}%", f"{_decimal(value)}\\%", f"{_decimal(value / 100)}",
                 f"{_decimal(value)} percent"]
    elif problem.kind == "money":
        forms += [f"${value.numerator:,}", f"{value.numerator} dollars", f"\\${value.numerator}"]
    elif problem.kind == "int":
        forms += [f"{value.numerator} apples", f"{value.numerator}.0"]
    else:
        forms += [f"{_decimal(value)} litres"]
    return rng.choice(forms)


def _wrap(answer: str, rng: random.Random, mixed: bool) -> str:
    if not mixed:
        return f"Working it out step by step.\n<answer>{answer}</answer>"
    if answer.startswith("\\boxed"):
        return f"Working it out step by step, we get ${answer}$."
    return rng.choice([
        f"Working it out step by step.\n<answer>{answer}</answer>",
        f"Working it out step by step. The answer is {answer}.",
        f"Working it out step by step.\n#### {answer}",
    ])


def candidates(problem: Problem, k: int, noise: float, mixed: bool,
               rng: random.Random) -> list[Reply]:
    """``k`` responses, each wrong with probability ``noise`` (the first distractor 70% of
    the time, the second 30%), the rest right."""
    step = max(Fraction(1), abs(problem.truth) / 10)
    distractors = [problem.truth + step, problem.truth - step * 2]
    wrong = {i for i in range(k) if rng.random() < noise}
    replies = []
    for i in range(k):
        value = rng.choices(distractors, (0.7, 0.3))[0] if i in wrong else problem.truth
        answer = _variant(problem, value, rng) if mixed else _plain(problem, value)
        text = _wrap(answer, rng, mixed)
        mean = rng.gauss(-0.6 if i in wrong else -0.3, 0.2)
        replies.append(Reply(text, logprobs=[min(0.0, mean)] * len(text.split())))
    return replies


def naive_label(replies: list[Reply], k: int) -> str | None:
    """The plain string majority of the raw last lines (None below half of ``k``)."""
    lines = [r.content.strip().splitlines()[-1] for r in replies]
    line, count = Counter(lines).most_common(1)[0]
    return line if count / k >= 0.5 else None


def _is_right(label: str | None, problem: Problem, *, raw: bool = False) -> bool:
    """Whether ``label`` (a voter's extracted answer, or with ``raw`` a whole response line
    to extract it from) is the problem's true answer."""
    if label is None:
        return False
    answer = (extract(label)[0] or label) if raw else label
    return equivalent(answer, _plain(problem, problem.truth))


def openai_endpoint(role: str, url: str) -> Endpoint:
    backend = OpenAICompatBackend(
        OpenAICompatConfig(api_base=url, api_key=Secret("sk-bench")),
        EndpointCommon(model="fake-model", sampling=Sampling(),
                       limits=Limits(concurrency=64, timeout=30, retries=1)))
    return Endpoint(role, backend)


def judge_endpoint() -> Endpoint:
    from sdgcore.models.backends.llamacpp import LlamaCppBackend
    from sdgcore.models.config import LlamaCppConfig

    return Endpoint("judge", LlamaCppBackend(LlamaCppConfig(n_ctx=2048),
                                             EndpointCommon(sampling=Sampling(temperature=0.0))))


async def run_voter(name: str, settings: dict, problems: list[Problem],
                    replies: dict[str, list[Reply]], url: str, registry, run_dir: Path,
                    judge: Endpoint | None) -> dict:
    config = structure({"task": {"type": "list", "questions": ["q"]}, "run": {"seed": 1},
                        "voter": {"type": name, **settings}}, registry)
    models = {"teacher": openai_endpoint("teacher", url)}
    if judge is not None:
        models["judge"] = judge
    ctx = RunContext(run_dir=run_dir, config=config, models=models)
    voter = config.voter.create()
    right = dropped = 0
    try:
        samples = [Sample(task="bench", question=p.question, source=Source(kind="bench"))
                   for p in problems]
        labelled = await asyncio.gather(*(voter.label(ctx, s) for s in samples))
    finally:
        await models["teacher"].aclose()
    for problem, sample in zip(problems, labelled, strict=True):
        if sample.dropped:
            dropped += 1
        elif _is_right(sample.answer, problem):
            right += 1
    return {"right": right, "dropped": dropped}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--judge-questions", type=int, default=0,
                        help="questions per condition for llm_judge on the embedded SmolLM2 "
                             "judge (default 0: skipped, it takes seconds per question)")
    parser.add_argument("--seed", type=int, default=0)
    add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.questions, args.judge_questions = 40, min(args.judge_questions, 2)

    from sdgcore.testing import components  # the "list" task a voter config needs

    registry = create_plugin_manager(plugins=[components]).registry
    voters = [(name, {}) for name in registry.names("voter")
              if registry.get("voter", name).cls.status == "ready"]
    voters = [v for name, s in voters for v in (
        [(name, s), ("exact", {"weighted": True})] if name == "exact" else [(name, s)])]
    judge = None
    if any(name == "llm_judge" for name, _ in voters):
        if args.judge_questions > 0:
            judge = judge_endpoint()
        else:
            voters = [v for v in voters if v[0] != "llm_judge"]
            print("llm_judge skipped (--judge-questions 0)")

    rng = random.Random(args.seed)
    problems = make_problems(args.questions, rng)
    current: dict[str, list[Reply]] = {}
    server = FakeOpenAIServer(Script.respond(lambda req: current[req.last_user])).start()
    rows, table = [], []
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for noise in NOISE:
                for fmt in FORMATS:
                    condition = f"{round(noise * 100)}% wrong, {fmt}"
                    current.clear()
                    for p in problems:
                        current[p.question] = candidates(p, args.k, noise, fmt == "format", rng)
                    results = {"naive (raw last line)": _naive(problems, current, args.k)}
                    for name, settings in voters:
                        subset = problems[:args.judge_questions] if name == "llm_judge" \
                            else problems
                        label = name + (" (weighted)" if settings.get("weighted") else "")
                        if name == "llm_judge":
                            label += f" (SmolLM2-135M judge, {len(subset)} q)"
                        outcome = asyncio.run(run_voter(
                            name, {"k": args.k, **settings}, subset, current, server.url,
                            registry, Path(tmp), judge if name == "llm_judge" else None))
                        results[label] = {**outcome, "questions": len(subset)}
                    for label, r in results.items():
                        n = r.get("questions", len(problems))
                        labelled = n - r["dropped"]
                        row = {"voter": label, "noise": noise, "format": fmt, "questions": n,
                               "right": r["right"], "dropped": r["dropped"],
                               "accuracy": r["right"] / labelled if labelled else math.nan,
                               "drop_rate": r["dropped"] / n, "correct_of_all": r["right"] / n}
                        rows.append(row)
                        table.append((label, condition, str(n), f"{row['accuracy']:.3f}",
                                      f"{row['drop_rate']:.3f}", f"{row['correct_of_all']:.3f}"))
    finally:
        server.stop()
    title = (f"Voter label accuracy: {args.questions} questions, k={args.k}, "
             f"{time.perf_counter() - started:.0f}s")
    print_table(title, COLUMNS, table)
    out = write_results("voters", args.json, args=args, rows=rows, title=title,
                        columns=COLUMNS, table=table,
                        dists=("sdgcore", "sdg-voting", "sympy", "sentence-transformers"))
    print(f"results: {out}")


def _naive(problems: list[Problem], replies: dict[str, list[Reply]], k: int) -> dict:
    right = dropped = 0
    for problem in problems:
        label = naive_label(replies[problem.question], k)
        if label is None:
            dropped += 1
        elif _is_right(label, problem, raw=True):
            right += 1
    return {"right": right, "dropped": dropped}


if __name__ == "__main__":
    main()
