"""The request cache: content-addressed, in SQLite (WAL) inside the run directory.

A key is the hash of what determines a reply: the endpoint's identity (backend, model, base
URL), the messages and every sampling parameter, but not ``n``. Choices are stored by their
index under the key, so a request for ``n`` choices reuses those already paid for and asks
only for the rest. Each reply is committed as it arrives, so a crash loses nothing paid for;
several processes may share one file (WAL, busy timeout).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sdgcore.models.types import ChatRequest, Choice

_SCHEMA = """
CREATE TABLE IF NOT EXISTS choices (
    key TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    logprob REAL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (key, idx)
) WITHOUT ROWID
"""

_INSERT = "INSERT OR IGNORE INTO choices VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_KEYED = ("messages", "temperature", "top_p", "max_tokens", "seed", "json_schema", "stop",
          "logprobs")


def cache_key(identity: Mapping[str, Any], request: ChatRequest) -> str:
    """The cache key of ``request`` sent to the endpoint with ``identity``."""
    fields = {name: getattr(request, name) for name in _KEYED}
    blob = json.dumps({"endpoint": dict(identity), "request": fields}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, default=_plain)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else list(value)


class RequestCache:
    """Choices by request key, in the SQLite file at ``path``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=60, isolation_level=None,
                                   check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def get(self, key: str, count: int) -> list[Choice]:
        """Cached choices 0, 1, ... (up to ``count``) of ``key``, stopping at the first gap."""
        rows = self._db.execute(
            "SELECT idx, text, finish_reason, logprob, prompt_tokens, completion_tokens "
            "FROM choices WHERE key = ? AND idx < ? ORDER BY idx", (key, count)).fetchall()
        found = []
        for expected, (idx, text, finish, logprob, prompt, completion) in enumerate(rows):
            if idx != expected:
                break
            found.append(Choice(text=text, finish_reason=finish, logprob=logprob, cached=True,
                                prompt_tokens=prompt, completion_tokens=completion))
        return found

    def put(self, key: str, start: int, choices: Sequence[Choice]) -> None:
        """Store ``choices`` as indices ``start``, ``start + 1``, ... of ``key`` (committed)."""
        now = time.time()
        rows = [(key, start + i, c.text, c.finish_reason, c.logprob, c.prompt_tokens,
                 c.completion_tokens, now) for i, c in enumerate(choices)]
        if len(rows) == 1:  # one statement is its own transaction
            self._db.execute(_INSERT, rows[0])
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(_INSERT, rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    async def aget(self, key: str, count: int) -> list[Choice]:
        """:meth:`get`, as the endpoint calls it (a cache held elsewhere, such as the Ray
        executor's, answers over the network)."""
        return self.get(key, count)

    async def aput(self, key: str, start: int, choices: Sequence[Choice]) -> None:
        """:meth:`put`, as the endpoint calls it."""
        self.put(key, start, choices)

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM choices").fetchone()[0]

    def close(self) -> None:
        """Close the database."""
        self._db.close()
