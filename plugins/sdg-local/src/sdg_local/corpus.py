"""The ``local`` task's corpus: the user's documents loaded, reported and chunked.

What was loaded goes to ``documents.json`` and what was skipped, with the reason, to
``skipped.json`` in the task's directory; each skipped file is also a warning. Parsed documents
are cached there too (``documents/``), so a resumed run does not parse them again.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import attrs

from sdg_local.chunking import Chunk, Unit, chunk_document
from sdg_local.ingest import Document, Skipped, load_documents
from sdgcore import InputError, write_atomic

DOCUMENTS_FILE = "documents.json"
SKIPPED_FILE = "skipped.json"
CACHE_DIR = "documents"


class SkippedDocument(UserWarning):
    """A file among ``task.paths`` was not used; the message names it and says why."""


@attrs.frozen
class Corpus:
    """The documents a run works from.

    :param documents: the documents loaded, in path order.
    :param chunks: every document's chunks, documents in order.
    :param skipped: the files that were not loaded, and why.
    """

    documents: tuple[Document, ...]
    chunks: tuple[Chunk, ...]
    skipped: tuple[Skipped, ...]


def load_corpus(paths: Sequence[Path], workdir: Path, *, size: int, overlap: int,
                unit: Unit) -> Corpus:
    """Load and chunk every document under ``paths`` (relative paths: from the current
    directory), report what was skipped and write the task's manifests to ``workdir``.

    :raises InputError: no usable document was found (exit 2); the message names the paths
        and why each file was skipped.
    """
    docs, skipped = load_documents(list(paths), cache_dir=workdir / CACHE_DIR)
    write_atomic(workdir / SKIPPED_FILE,
                 json.dumps([attrs.asdict(s) for s in skipped], indent=2,
                            ensure_ascii=False) + "\n")
    for item in skipped:
        warnings.warn(f"task.paths: skipped {item.path}: {item.reason}", SkippedDocument,
                      stacklevel=2)
    chunks = [c for doc in docs for c in chunk_document(doc, size, overlap, unit)]
    if not chunks:
        where = ", ".join(str(p) for p in paths) or "(none given)"
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:5])
        more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
        raise InputError(f"task.paths: no usable document in {where}"
                       + (f" — skipped {reasons}{more}" if reasons else ""),
                       hint="point task.paths at PDF, txt, md or html files with text in them")
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    manifest = [{"id": d.id, "path": d.path, "kind": d.kind, "title": d.title,
                 "pages": len(d.pages), "chars": len(d.text), "chunks": counts.get(d.id, 0),
                 "notes": list(d.notes)} for d in docs]
    write_atomic(workdir / DOCUMENTS_FILE,
                 json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return Corpus(tuple(docs), tuple(chunks), tuple(skipped))
