"""Where an index lives on disk, and how a complete one is told from a crashed build.

An index's directory (or file) is named by a fingerprint of the passages and of every setting
that changes its content, so a resumed run finds its index and a changed corpus misses it. A
directory is complete only once its marker is written, which a build does last.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sdgcore import Passage

MARKER = "complete.json"
"""The file a build writes last; a directory without it is rebuilt."""


def fingerprint(passages: Sequence[Passage], settings: Mapping[str, Any]) -> str:
    """A short hash of the passages (ids and texts, in order) and ``settings`` (JSON-able)."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for passage in passages:
        for part in (passage.id, passage.text):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "little"))
            digest.update(data)
    return digest.hexdigest()[:24]


def is_complete(path: Path) -> bool:
    """Whether ``path`` holds a finished build."""
    return (path / MARKER).is_file()


def start(path: Path) -> None:
    """Make ``path`` an empty directory for a fresh build, removing any partial one."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def finish(path: Path, info: Mapping[str, Any]) -> None:
    """Mark the build in ``path`` complete, recording ``info`` in the marker."""
    (path / MARKER).write_text(json.dumps(dict(info), sort_keys=True) + "\n", encoding="utf-8")


def check_unique_ids(passages: Sequence[Passage]) -> None:
    """Raise :class:`ValueError` naming the first id that two passages share."""
    seen: set[str] = set()
    for i, passage in enumerate(passages):
        if passage.id in seen:
            raise ValueError(f"passages[{i}]: id {passage.id!r} is used by an earlier passage")
        seen.add(passage.id)
