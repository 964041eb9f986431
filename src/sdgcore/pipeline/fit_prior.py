"""Fit a ``solve.prior`` from earlier runs' datasets and print it as config.

    python -m sdgcore.pipeline.fit_prior RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from sdgcore.pipeline.prior import fit


def outcomes(run_dir: Path) -> list[tuple[int, int]]:
    """``(correct, made)`` of every categorized sample in ``run_dir``'s exported datasets,
    leaving out those a greedy gate attempt decided (``scoring.gate``): that attempt is not a
    sample of the student's pass rate."""
    found = []
    for name in ("learnable", "too_easy", "too_hard"):
        path = run_dir / f"{name}.jsonl"
        for line in path.open(encoding="utf-8") if path.exists() else ():
            row = json.loads(line)
            if "gate" in (row.get("scoring") or {}) or not row.get("attempts"):
                continue
            found.append((sum(bool(a.get("correct")) for a in row["attempts"]),
                          len(row["attempts"])))
    return found


def main(argv: Sequence[str] | None = None) -> None:
    """Print a ``solve.prior`` fitted from earlier runs' datasets."""
    parser = argparse.ArgumentParser(prog="python -m sdgcore.pipeline.fit_prior",
                                     description=main.__doc__)
    parser.add_argument("run_dirs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    found = [o for run_dir in args.run_dirs for o in outcomes(run_dir)]
    if not found:
        parser.error("no categorized samples with attempts in "
                     f"{', '.join(map(str, args.run_dirs))}")
    prior = fit(found).as_config()
    print(f"# fitted from {len(found)} samples of {', '.join(map(str, args.run_dirs))}")
    print("solve:")
    print("  prior: {" + ", ".join(f"{p}: {w}" for p, w in prior.items()) + "}")


if __name__ == "__main__":
    main()
