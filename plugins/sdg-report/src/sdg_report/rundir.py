"""Reading a run directory as ``sdg run`` writes it, finished or still in progress.

Samples come from the round checkpoints, ``rounds/round-NNNNN.jsonl``: a round counts once its
``round-NNNNN.json`` is written, as the run itself counts it on resume. A run directory without
checkpoints (exported datasets copied elsewhere) is read from its ``<category>.jsonl`` files.
Each line is one sample's record (:meth:`sdgcore.Sample.to_json`); a line that is not whole
JSON is skipped and counted, and a last line without its newline (a file still being written)
is left for the next read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from sdgcore import InputError

MARKER = "sdg-run.json"
ROUNDS = "rounds"
CATEGORY_FILES = ("learnable", "too_easy", "too_hard", "dropped")
KEYS = ("learnable", "too_easy", "too_hard", "dropped", "uncategorized")
"""Where a sample stands: its category, ``dropped``, or ``uncategorized`` (not scored)."""


def key_of(record: dict[str, Any]) -> str:
    """The :data:`KEYS` entry of a sample record."""
    return "dropped" if record.get("dropped") else (record.get("category") or "uncategorized")


def read_lines(path: Path, offset: int = 0) -> Iterator[tuple[int, int, dict[str, Any] | None]]:
    """``(offset, length, record)`` for each whole line of ``path`` from ``offset``; the
    record is None for a line that is not a JSON object. A last line without a newline is
    not yielded (it is still being written)."""
    with path.open("rb") as fh:
        fh.seek(offset)
        position = offset
        for raw in fh:
            if not raw.endswith(b"\n"):
                return
            try:
                record = json.loads(raw)
            except ValueError:
                record = None
            yield position, len(raw), record if isinstance(record, dict) else None
            position += len(raw)


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None where it is missing or not (yet) whole JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class RunFiles:
    """The files of one run directory, read on demand (nothing is written to it).

    :param path: the run directory.
    :raises InputError: ``path`` is not a directory, or holds no sdg run.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise InputError(f"{self.path} is not a directory",
                             hint="give the run directory (run.dir of the config)")
        if not ((self.path / MARKER).exists() or (self.path / ROUNDS).is_dir()
                or any((self.path / f"{c}.jsonl").exists() for c in CATEGORY_FILES)):
            raise InputError(f"{self.path} holds no sdg run (no {MARKER}, rounds/ or "
                             "<category>.jsonl)", hint="give the run directory of `sdg run`")

    @property
    def checkpointed(self) -> bool:
        """Whether samples are read from round checkpoints (else from the exported files)."""
        return (self.path / ROUNDS).is_dir()

    def rounds(self) -> list[dict[str, Any]]:
        """What each finished round recorded (``samples``, ``generated``, ``spent``)."""
        metas = []
        while isinstance(meta := read_json(self.round_path(len(metas), ".json")), dict):
            metas.append(meta)
        return metas

    def round_path(self, number: int, suffix: str = ".jsonl") -> Path:
        """The checkpoint file of round ``number``."""
        return self.path / ROUNDS / f"round-{number:05d}{suffix}"

    def sample_files(self) -> list[Path]:
        """The files the samples are read from, in order: one per finished round, or the
        exported category files."""
        if self.checkpointed:
            return [self.round_path(n) for n in range(len(self.rounds()))]
        return [p for c in CATEGORY_FILES if (p := self.path / f"{c}.jsonl").exists()]

    def unfinished_round(self) -> bool:
        """Whether a round's samples are written but the round is not finished yet."""
        return self.round_path(len(self.rounds())).exists()

    def marker(self) -> dict[str, Any]:
        """``sdg-run.json``: the config's fingerprint and the versions that made the run."""
        data = read_json(self.path / MARKER)
        return data if isinstance(data, dict) else {}

    def config(self) -> dict[str, Any]:
        """The resolved config (``config.yaml``), as plain data; empty where unreadable."""
        try:
            data = yaml.safe_load((self.path / "config.yaml").read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return {}
        return data if isinstance(data, dict) else {}

    def summary(self) -> dict[str, Any] | None:
        """``summary.json``, written when a run ends, or None."""
        data = read_json(self.path / "summary.json")
        return data if isinstance(data, dict) else None

    def finished(self) -> bool:
        """Whether the last invocation of ``sdg run`` ended after the last finished round:
        ``summary.json`` counts the rounds there are and is newer than every checkpoint.
        False for a run in progress or one that was interrupted."""
        summary = self.summary()
        if summary is None:
            return False
        if not self.checkpointed:
            return True
        if summary.get("rounds") != len(self.rounds()):
            return False
        latest = [p.stat().st_mtime for p in (self.path / ROUNDS).glob("round-*")]
        return not latest or (self.path / "summary.json").stat().st_mtime >= max(latest)

    def component_files(self, name: str) -> list[Path]:
        """``name`` in each component's work directory (``task-local/keywords.json``)."""
        return sorted(p for p in self.path.glob(f"*-*/{name}") if p.is_file())
