"""An index of a run's samples: where each record is on disk, and what lists and filters need.

Each file is parsed once; an :class:`Entry` keeps the record's place (file, offset, length)
and the few fields a list shows or filters on, so a query never re-reads the files and a
sample's full record is one seek away. :meth:`SampleIndex.refresh` indexes the rounds a run
in progress finished since the last call.

As in the run's own export, a generated sample and its rewrites form a chain written in one
round; when a later round holds a new chain of the same generated sample (a resume retried
it), the new chain supersedes the old one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from sdg_report.rundir import KEYS, RunFiles, key_of, read_lines

SNIPPET = 240
"""Characters of a question a list shows."""


@attrs.define(slots=True)
class Entry:
    """One sample record: where it is and what a list shows of it."""

    file: int
    offset: int
    length: int
    id: str
    root: str
    key: str
    round: int
    parent: str | None
    direction: str | None
    pass_rate: float | None
    agreement: float | None
    source: str
    question: str
    reason: str | None
    text: str
    superseded: bool = False

    def row(self) -> dict[str, Any]:
        """What a list shows of the sample (JSON-safe)."""
        return {"id": self.id, "key": self.key, "round": self.round, "parent": self.parent,
                "direction": self.direction, "pass_rate": self.pass_rate,
                "agreement": self.agreement, "source": self.source,
                "question": self.question, "reason": self.reason}


def _entry(file: int, offset: int, length: int, record: dict[str, Any], root: str) -> Entry:
    source = record.get("source") or {}
    question = str(record.get("question") or "")
    reason = record.get("dropped")
    text = " ".join(str(x) for x in (record.get("id"), question, record.get("answer"), reason)
                    if x)
    return Entry(file=file, offset=offset, length=length, id=str(record.get("id")), root=root,
                 key=key_of(record), round=int(record.get("round") or 0),
                 parent=record.get("parent_id"), direction=record.get("direction"),
                 pass_rate=record.get("pass_rate"), agreement=record.get("agreement"),
                 source=str(source.get("ref") or source.get("kind") or "unknown"),
                 question=question[:SNIPPET], reason=reason, text=text.casefold())


@attrs.frozen
class Query:
    """What to list: every filter is optional; ``text`` matches id, question, answer and
    drop reason, case-insensitively."""

    key: str | None = None
    text: str = ""
    round: int | None = None
    source: str | None = None
    min_pass: float | None = None
    max_pass: float | None = None

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry`` passes every filter."""
        return ((self.key is None or entry.key == self.key)
                and (self.round is None or entry.round == self.round)
                and (self.source is None or entry.source == self.source)
                and (self.min_pass is None or (entry.pass_rate is not None
                                               and entry.pass_rate >= self.min_pass))
                and (self.max_pass is None or (entry.pass_rate is not None
                                               and entry.pass_rate <= self.max_pass))
                and (not self.text or self.text.casefold() in entry.text))


class SampleIndex:
    """The samples of one run directory, indexed; safe to share between threads.

    :param files: the run directory.
    """

    def __init__(self, files: RunFiles) -> None:
        self.files = files
        self.paths: list[Path] = []
        self.skipped = 0
        self._entries: list[Entry] = []
        self._active: list[Entry] | None = []
        self._by_id: dict[str, Entry] = {}
        self._chains: dict[str, list[Entry]] = {}
        self._stamps: list[tuple[Path, int, int]] = []
        self._lock = threading.Lock()
        self.refresh()

    def refresh(self) -> bool:
        """Index the sample files not indexed yet (rounds finished since); True if any."""
        with self._lock:
            paths = self.files.sample_files()
            if self.files.checkpointed:  # a finished round's file never changes
                new = paths[len(self.paths):]
                for path in new:
                    self._supersede(self._index(len(self.paths), path))
                    self.paths.append(path)
                return bool(new)
            stamps = [(p, p.stat().st_size, p.stat().st_mtime_ns) for p in paths]
            if stamps == self._stamps:
                return False
            self._reset()  # exported files are replaced whole: read them again
            self._stamps = stamps
            for path in paths:
                self._index(len(self.paths), path)
                self.paths.append(path)
            self._link()
            return True

    def _reset(self) -> None:
        self.paths, self.skipped, self._entries, self._active = [], 0, [], None
        self._by_id, self._chains = {}, {}

    def _index(self, number: int, path: Path) -> list[Entry]:
        """Index one file; its entries, in file order."""
        roots: dict[str, str] = {}
        entries = []
        for offset, length, record in read_lines(path):
            if record is None or not record.get("id"):
                self.skipped += 1
                continue
            parent = record.get("parent_id")
            root = record["id"] if parent is None else roots.get(parent, parent)
            roots[record["id"]] = root
            entry = _entry(number, offset, length, record, root)
            entries.append(entry)
            self._by_id[entry.id] = entry
        self._entries += entries
        return entries

    def _supersede(self, entries: list[Entry]) -> None:
        """Make the chains of a round's ``entries`` the latest of their generated samples."""
        fresh: dict[str, list[Entry]] = {}
        for entry in entries:
            fresh.setdefault(entry.root, []).append(entry)
        for root, chain in fresh.items():
            for old in self._chains.get(root, ()):
                old.superseded = True
                self._active = None
            self._chains[root] = chain
        if self._active is not None:
            self._active += entries

    def _link(self) -> None:
        """Chains of the exported files: a rewrite and its parent may be in different files
        (a category each), so each entry's root is found once every file is read."""
        for entry in self._entries:
            entry.root = self._root_of(entry)
            self._chains.setdefault(entry.root, []).append(entry)
        for chain in self._chains.values():
            chain.sort(key=lambda e: e.round)

    def _root_of(self, entry: Entry) -> str:
        seen = {entry.id}
        while entry.parent is not None and entry.parent in self._by_id:
            entry = self._by_id[entry.parent]
            if entry.id in seen:
                break
            seen.add(entry.id)
        return entry.parent or entry.id

    @property
    def active(self) -> list[Entry]:
        """Every sample of the latest chains, in file order (read from the exported files:
        by rewrite round first, so that a parent comes before its rewrites)."""
        if self._active is None:
            self._active = [e for e in self._entries if not e.superseded]
            if self.files.checkpointed:
                self._active.sort(key=lambda e: (e.file, e.offset))
            else:
                self._active.sort(key=lambda e: (e.round, e.file, e.offset))
        return self._active

    def counts(self) -> dict[str, int]:
        """Samples per :data:`~sdg_report.rundir.KEYS` entry."""
        counts = dict.fromkeys(KEYS, 0)
        with self._lock:
            for entry in self.active:
                counts[entry.key] += 1
        return counts

    def sources(self) -> list[str]:
        """The distinct sources (``source.ref``, else ``source.kind``), sorted."""
        with self._lock:
            return sorted({e.source for e in self.active})

    def rewrite_rounds(self) -> list[int]:
        """The distinct rewrite rounds of the samples (0: generated), sorted."""
        with self._lock:
            return sorted({e.round for e in self.active})

    def query(self, query: Query, offset: int = 0, limit: int = 50) -> tuple[int, list[Entry]]:
        """How many samples match ``query``, and ``limit`` of them from ``offset``."""
        with self._lock:
            found = [e for e in self.active if query.matches(e)]
        return len(found), found[offset:offset + limit]

    def get(self, sample_id: str) -> Entry | None:
        """The entry of ``sample_id`` (its latest chain's), or None."""
        return self._by_id.get(sample_id)

    def record(self, entry: Entry) -> dict[str, Any]:
        """The full record of ``entry``, read from its file."""
        with self.paths[entry.file].open("rb") as fh:
            fh.seek(entry.offset)
            return json.loads(fh.read(entry.length))

    def records(self) -> Iterator[dict[str, Any]]:
        """Every active sample's record, in the order of :attr:`active` (parents before
        their rewrites); each file is opened once."""
        with self._lock:
            entries = list(self.active)
        handles: dict[int, BinaryIO] = {}
        try:
            for entry in entries:
                fh = handles.get(entry.file)
                if fh is None:
                    fh = handles[entry.file] = self.paths[entry.file].open("rb")
                fh.seek(entry.offset)
                yield json.loads(fh.read(entry.length))
        finally:
            for fh in handles.values():
                fh.close()

    def chain(self, entry: Entry) -> list[Entry]:
        """Every version in ``entry``'s chain: the generated sample, then its rewrites."""
        return list(self._chains.get(entry.root, [entry]))
