"""Load a user's documents (PDF, text, Markdown, HTML) into :class:`Document` records.

:func:`load_documents` never raises for a bad file: a missing, unsupported, binary, corrupt,
encrypted, empty or oversized file comes back as a :class:`Skipped` with its path and the
reason, and the rest are loaded. Parsed documents are cached as JSON keyed by the hash of the
file's bytes, so a second run (or the same file under another name) is not parsed again.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

#: Files larger than this many bytes are skipped as "too large".
MAX_FILE_BYTES = 200 * 2**20
#: Bumped whenever parsing changes, so cached documents from older code are parsed again.
CACHE_VERSION = 1

KINDS = {".pdf": "pdf", ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
         ".html": "html", ".htm": "html"}


@attrs.frozen
class Page:
    """One page of a document: ``number`` is 1-based, ``start`` is its offset in the text."""

    number: int
    text: str
    start: int


@attrs.frozen
class Heading:
    """A heading in a document's text: ``text == document.text[start:end]`` up to markup
    (a Markdown heading's ``#`` marks are inside the span but not in ``text``)."""

    level: int
    text: str
    start: int
    end: int


@attrs.frozen
class Document:
    """A parsed document.

    :param id: the first 16 hex digits of the sha256 of the file's bytes.
    :param path: the file it was read from.
    :param kind: ``"pdf"``, ``"txt"``, ``"md"`` or ``"html"``.
    :param title: the document's own title (PDF metadata, HTML ``<title>``, the first
        Markdown heading, the first PDF heading), or None.
    :param pages: its pages; a non-PDF document has one.
    :param text: the pages' texts joined with ``"\\n\\n"``; :attr:`Page.start` indexes into it.
    :param headings: the headings found in ``text``, in order (chunking splits on them).
    :param encoding: the encoding a text file was decoded with (None for PDF).
    :param notes: what went wrong without stopping the load (a damaged PDF that MuPDF
        repaired, a text file that was not UTF-8), for the run report.
    """

    id: str
    path: str
    kind: str
    title: str | None
    pages: tuple[Page, ...]
    text: str
    headings: tuple[Heading, ...] = ()
    encoding: str | None = None
    notes: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int:
        """The number of the page holding ``text[offset]`` (the gap after a page counts as
        that page). Raises IndexError for an offset outside ``0..len(text)``."""
        if not 0 <= offset <= len(self.text):
            raise IndexError(f"offset {offset} is outside {self.path} (0..{len(self.text)})")
        starts = [p.start for p in self.pages]
        return self.pages[max(bisect.bisect_right(starts, offset) - 1, 0)].number

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :meth:`from_dict` turns back into an equal document."""
        return attrs.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """The document :meth:`to_dict` wrote (raises KeyError/TypeError on a bad dict)."""
        return cls(**{**data, "pages": tuple(Page(**p) for p in data["pages"]),
                      "headings": tuple(Heading(**h) for h in data["headings"]),
                      "notes": tuple(data["notes"])})


@attrs.frozen
class Skipped:
    """A path that was not loaded, and why (e.g. ``"encrypted PDF"``)."""

    path: str
    reason: str


class Unreadable(Exception):
    """Raised by a reader for a file it cannot use; the message is the :class:`Skipped` reason."""


def load_documents(paths: Sequence[Path], cache_dir: Path | None = None, *,
                   max_bytes: int = MAX_FILE_BYTES) -> tuple[list[Document], list[Skipped]]:
    """Load every document under ``paths``.

    :param paths: files or folders; folders are walked recursively in sorted order, skipping
        hidden files and folders. A file reached twice is loaded once.
    :param cache_dir: where parsed documents are cached as ``<sha256>.json``; None: no cache.
    :param max_bytes: files larger than this are skipped.
    :returns: the documents in path order, and what was skipped with the reason. A file whose
        bytes equal an earlier file's is skipped as a duplicate of it.
    """
    docs: list[Document] = []
    skipped: list[Skipped] = []
    seen_files: set[Path] = set()
    seen_hashes: dict[str, str] = {}
    for path in _walk(paths, skipped):
        real = path.resolve()
        if real in seen_files:
            continue
        seen_files.add(real)
        try:
            doc = _load_one(path, cache_dir, max_bytes, seen_hashes)
        except Unreadable as exc:
            skipped.append(Skipped(str(path), str(exc)))
        except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop a run
            skipped.append(Skipped(str(path), f"unreadable: {type(exc).__name__}: {exc}"))
        else:
            docs.append(doc)
    return docs, skipped


def _walk(paths: Sequence[Path], skipped: list[Skipped]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            def unreadable(exc: OSError, top: Path = path) -> None:
                skipped.append(Skipped(str(exc.filename or top),
                                       f"folder cannot be read: {exc.strerror or exc}"))

            for root, dirs, files in os.walk(path, onerror=unreadable):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                yield from (Path(root) / f for f in sorted(files) if not f.startswith("."))
        elif path.is_file():
            yield path
        elif path.exists():
            skipped.append(Skipped(str(path), "not a regular file"))
        else:
            skipped.append(Skipped(str(path), "no such file or folder"))


def _load_one(path: Path, cache_dir: Path | None, max_bytes: int,
              seen_hashes: dict[str, str]) -> Document:
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise Unreadable(f"unsupported file type {path.suffix or '(no extension)'!r} "
                         f"(supported: {', '.join(sorted(KINDS))})")
    size = path.stat().st_size
    if size > max_bytes:
        raise Unreadable(f"too large: {size} bytes (the limit is {max_bytes})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest in seen_hashes:
        raise Unreadable(f"duplicate of {seen_hashes[digest]}")
    seen_hashes[digest] = str(path)
    cache_file = cache_dir / f"{digest}.json" if cache_dir is not None else None
    cached = _read_cache(cache_file) if cache_file is not None else None
    if cached is not None and cached.kind == kind:
        return attrs.evolve(cached, path=str(path))
    doc = parse(data, kind, path=str(path), doc_id=digest[:16])
    if cache_file is not None:
        try:
            _write_cache(cache_file, doc)
        except OSError:
            pass  # a cache that cannot be written costs a re-parse next time, nothing more
    return doc


def parse(data: bytes, kind: str, *, path: str, doc_id: str) -> Document:
    """Parse one file's bytes as ``kind``; raises :class:`Unreadable` with the reason."""
    if kind == "pdf":
        from sdg_local.pdf import read_pdf

        return read_pdf(data, path=path, doc_id=doc_id)
    text, encoding = decode_text(data)
    if kind == "html":
        from sdg_local.markup import html_to_text

        title, text, headings = html_to_text(text)
    elif kind == "md":
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        headings = markdown_headings(text)
        title = headings[0].text if headings else None
    else:
        text, title, headings = text.replace("\r\n", "\n").replace("\r", "\n").strip(), None, []
    if not text.strip():
        raise Unreadable("empty: no text")
    notes = () if encoding == "utf-8" else (f"not UTF-8; decoded as {encoding}",)
    return Document(id=doc_id, path=path, kind=kind, title=title,
                    pages=(Page(1, text, 0),), text=text, headings=tuple(headings),
                    encoding=encoding, notes=notes)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file: UTF-8 (a BOM is dropped), else cp1252; NUL bytes mean binary."""
    if b"\x00" in data[:8192]:
        raise Unreadable("binary file (NUL bytes), not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    raise Unreadable("not text: neither UTF-8 nor cp1252")


def markdown_headings(text: str) -> list[Heading]:
    """ATX (``# Title``) and setext (``Title`` over ``===``/``---``) headings outside code
    fences."""
    from sdg_local.markup import find_headings

    return find_headings(text)


def _read_cache(cache_file: Path) -> Document | None:
    try:
        payload = json.loads(cache_file.read_text(encoding="utf-8"))
        if payload.get("version") != CACHE_VERSION:
            return None
        return Document.from_dict(payload["document"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_cache(cache_file: Path, doc: Document) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"version": CACHE_VERSION, "document": doc.to_dict()}),
                   encoding="utf-8")
    os.replace(tmp, cache_file)
