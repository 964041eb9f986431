"""Evaluation sets, and whether a sample overlaps one of them (word n-gram overlap).

A set is read once per run with ``datasets`` (which runs no dataset script): a local
``.jsonl`` / ``.json`` / ``.csv`` / ``.parquet`` file, a ``.txt`` file (one item a line), a
folder written by ``save_to_disk``, or a Hugging Face dataset id (``owner/name`` or
``owner/name:config``; ``HF_TOKEN`` and ``HF_ENDPOINT`` as ``huggingface_hub`` reads them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sdgcore.config.gates import DecontaminateGate
from sdgcore.dedup import tokens
from sdgcore.errors import InputError, import_optional

BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
"""File suffix -> the ``datasets`` builder that reads it."""


def _rows(ref: str, split: str | None) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(item id, row)`` of every row of the evaluation set ``ref``."""
    path = Path(ref).expanduser()
    if path.suffix == ".txt" and path.is_file():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                yield f"{ref}#{i}", {"text": line}
        return
    datasets = import_optional("datasets", extra="sdgcore[export]",
                               feature="gates.decontaminate")
    if path.is_dir():
        loaded = datasets.load_from_disk(str(path))
    elif path.suffix in BUILDERS and path.is_file():
        loaded = datasets.load_dataset(BUILDERS[path.suffix], data_files=str(path))
    elif path.exists() or ref.startswith((".", "/", "~")) or ref.count("/") != 1:
        raise InputError(f"gates.decontaminate.sets: {ref!r} is neither a readable file "
                         "(.jsonl, .json, .csv, .parquet, .txt), a saved dataset folder nor "
                         "a Hugging Face dataset id (owner/name)")
    else:
        name, _, config = ref.partition(":")
        loaded = datasets.load_dataset(name, config or None, split=split)
    parts = loaded.items() if hasattr(loaded, "items") else [(split or "data", loaded)]
    for part, table in parts:
        for i, row in enumerate(table):
            yield f"{ref}[{part}]#{i}", row


class EvalSets:
    """The word n-grams of every item of the configured evaluation sets.

    :raises InputError: a set cannot be read.
    """

    def __init__(self, config: DecontaminateGate) -> None:
        self.n = config.ngram
        self._grams: dict[tuple[str, ...], str] = {}
        self._short: dict[str, dict[tuple[str, ...], str]] = {}  # by first word
        self.items = 0
        for ref in config.sets:
            try:
                for item, row in _rows(ref, config.split):
                    self._add(item, row, config.fields)
            except InputError:
                raise
            except Exception as exc:  # datasets raises many kinds; name the set
                raise InputError(f"gates.decontaminate.sets: {ref!r} cannot be read "
                                 f"({type(exc).__name__}: {exc})") from None

    def _add(self, item: str, row: dict[str, Any], fields: list[str]) -> None:
        texts = [row.get(f) for f in fields] if fields else list(row.values())
        for text in texts:
            if not isinstance(text, str) or not text.strip():
                continue
            words = tuple(tokens(text))
            self.items += 1
            if 0 < len(words) < self.n:
                self._short.setdefault(words[0], {}).setdefault(words, item)
            for i in range(len(words) - self.n + 1):
                self._grams.setdefault(words[i:i + self.n], item)

    def match(self, text: str) -> tuple[str, str] | None:
        """``(item id, the shared text)`` of an evaluation item ``text`` overlaps: a shared
        ``n``-gram, or the whole of an item shorter than ``n`` words."""
        words = tuple(tokens(text))
        for i, word in enumerate(words):
            for item_words, item in self._short.get(word, {}).items():
                if words[i:i + len(item_words)] == item_words:
                    return item, " ".join(item_words)
        for i in range(len(words) - self.n + 1):
            found = self._grams.get(words[i:i + self.n])
            if found is not None:
                return found, " ".join(words[i:i + self.n])
        return None

