"""Fit a ``solve.prior`` from earlier runs' datasets and print it as config.

    sdg prior RUN_DIR [RUN_DIR ...]
    sdg prior RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from sdgcore.errors import InputError
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


def prior_config(run_dirs: Sequence[Path]) -> str:
    """A ``solve: prior:`` config block fitted from ``run_dirs``' datasets, with a comment
    saying from what.

    :raises InputError: the directories hold no categorized samples with attempts.
    """
    found = [o for run_dir in run_dirs for o in outcomes(Path(run_dir))]
    names = ", ".join(map(str, run_dirs))
    if not found:
        raise InputError(f"no categorized samples with attempts in {names}",
                         hint="fit from a finished run's directory (its learnable.jsonl, "
                              "too_easy.jsonl and too_hard.jsonl)")
    prior = fit(found).as_config()
    return (f"# fitted from {len(found)} samples of {names}\n"
            "solve:\n  prior: {" + ", ".join(f"{p}: {w}" for p, w in prior.items()) + "}\n")


def main(argv: Sequence[str] | None = None) -> None:
    """Print a ``solve.prior`` fitted from earlier runs' datasets."""
    parser = argparse.ArgumentParser(prog="python -m sdgcore.pipeline.fit_prior",
                                     description=main.__doc__)
    parser.add_argument("run_dirs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    try:
        print(prior_config(args.run_dirs), end="")
    except InputError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
