"""Writes questions.jsonl: arithmetic questions and word problems with their known answers.

Run from the repository root: ``python examples/calibrate/make_questions.py``. The questions
are made from templates with a fixed seed and every answer is computed, so the file is the
same on every run and every answer is right. The mix runs from sums a 135M model nearly always
gets right to ones it nearly never does, so a run of examples/calibrate.yaml finds all three
categories.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("questions.jsonl")
WORD = [
    ("{name} has {a} apples and buys {b} more. How many apples does {name} have now?",
     lambda a, b: a + b, "addition"),
    ("{name} had {a} sweets and ate {b} of them. How many sweets are left?",
     lambda a, b: a - b, "subtraction"),
    ("A box holds {a} eggs. How many eggs are in {b} boxes?", lambda a, b: a * b,
     "multiplication"),
    ("A bus has {a} passengers. At the next stop {b} more get on. How many passengers are on "
     "the bus?", lambda a, b: a + b, "addition"),
    ("{name} reads {a} pages a day. How many pages does {name} read in {b} days?",
     lambda a, b: a * b, "multiplication"),
    ("There are {a} birds on a tree and {b} fly away. How many birds are still on the tree?",
     lambda a, b: a - b, "subtraction"),
]
NAMES = ["Tom", "Sara", "Ali", "Mia", "Ben", "Lena", "Omar", "Ivy"]


def questions(seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    made: list[dict] = []

    def add(question: str, answer: int, kind: str) -> None:
        if all(q["question"] != question for q in made):
            made.append({"id": len(made), "question": question, "answer": str(answer),
                         "kind": kind})

    for low, high, count in [(1, 9, 6), (10, 30, 6), (30, 99, 4)]:
        for _ in range(count):
            a, b = rng.randint(low, high), rng.randint(low, high)
            add(f"What is {a} + {b}?", a + b, "addition")
    for low, high, count in [(2, 9, 4), (10, 60, 4)]:
        for _ in range(count):
            a, b = sorted((rng.randint(low, high), rng.randint(low, high)), reverse=True)
            add(f"What is {a} - {b}?", a - b, "subtraction")
    for low, high, count in [(2, 9, 5), (11, 25, 3)]:
        for _ in range(count):
            a, b = rng.randint(low, high), rng.randint(2, 9)
            add(f"What is {a} times {b}?", a * b, "multiplication")
    for n in rng.sample(range(3, 30), 4):
        add(f"What is double {n}?", 2 * n, "doubling")
    for i in range(12):
        template, solve, kind = WORD[i % len(WORD)]
        a, b = rng.randint(5, 20), rng.randint(2, 5)
        add(template.format(name=NAMES[i % len(NAMES)], a=a, b=b), solve(a, b), kind)
    return made


if __name__ == "__main__":
    rows = questions()
    OUT.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} questions to {OUT}")
