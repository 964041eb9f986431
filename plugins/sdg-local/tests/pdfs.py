"""Real PDFs for the tests and the bench, laid out line by line with pymupdf.

:func:`write_pdf` sets text the way a printed book does: a running header and footer on every
page, a page number at the bottom, long words hyphenated at line ends, headings in a larger bold
font, one or two columns. It returns what it drew, so a test can check the reader's output
against it. The other writers make the broken files a user's folder holds: an encrypted PDF, a
PDF with no text layer, a truncated one and garbage with a ``.pdf`` name.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

WIDTH, HEIGHT = 595.0, 842.0  # A4, in points
MARGIN = 72.0
GUTTER = 24.0


@functools.cache
def _char_width(char: str, font: str = "helv") -> float:
    return pymupdf.get_text_length(char, fontname=font, fontsize=1)


def text_width(text: str, size: float, font: str = "helv") -> float:
    """The width of ``text`` in points (the base-14 fonts have no kerning, so widths add)."""
    return size * sum(_char_width(c, font) for c in text)


@dataclass
class Layout:
    """What :func:`write_pdf` drew: the body lines of each page (headers, footers and page
    numbers aside), the headings and each hyphenated word (whole, as it should read)."""

    pages: list[list[str]] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)  # (page, heading)
    hyphenated: list[tuple[int, str]] = field(default_factory=list)  # (page, word)


class _Writer:
    def __init__(self, doc: pymupdf.Document, *, columns: int, size: float, header: str | None,
                 footer: str | None, page_label: str | None, hyphenate: bool) -> None:
        self.doc, self.columns, self.size = doc, columns, size
        self.header, self.footer, self.page_label = header, footer, page_label
        self.hyphenate = hyphenate
        self.col_width = (WIDTH - 2 * MARGIN - (columns - 1) * GUTTER) / columns
        self.layout = Layout()
        self.page: pymupdf.Page | None = None
        self.text: pymupdf.TextWriter | None = None
        self.fonts = {"helv": pymupdf.Font("helv"), "hebo": pymupdf.Font("hebo")}
        self.column = 0
        self.y = 0.0

    def flush(self) -> None:
        if self.page is not None and self.text is not None:
            self.text.write_text(self.page)

    def new_page(self) -> None:
        self.flush()
        self.page = self.doc.new_page(width=WIDTH, height=HEIGHT)
        self.text = pymupdf.TextWriter(self.page.rect)
        number = len(self.layout.pages) + 1
        self.layout.pages.append([])
        if self.header:
            self.put((MARGIN, 40), self.header, 9)
        if self.footer:
            self.put((MARGIN, HEIGHT - 40), self.footer, 9)
        if self.page_label:
            label = self.page_label.format(n=number)
            self.put((WIDTH - MARGIN - text_width(label, 9), HEIGHT - 40), label, 9)
        self.column, self.y = 0, MARGIN

    def put(self, point: tuple[float, float], text: str, size: float,
            font: str = "helv") -> None:
        assert self.text is not None
        self.text.append(point, text, font=self.fonts[font], fontsize=size)

    def advance(self, height: float) -> None:
        if self.page is None or self.y + height > HEIGHT - MARGIN:
            if self.page is not None and self.column + 1 < self.columns:
                self.column, self.y = self.column + 1, MARGIN
            else:
                self.new_page()
        self.y += height

    def draw(self, text: str, *, size: float, bold: bool = False) -> None:
        self.advance(size * 1.35)
        x = MARGIN + self.column * (self.col_width + GUTTER)
        self.put((x, self.y), text, size, "hebo" if bold else "helv")
        self.layout.pages[-1].append(text)

    def fits(self, text: str, size: float) -> bool:
        return text_width(text, size) <= self.col_width

    def heading(self, text: str) -> None:
        self.advance(self.size)
        self.draw(text, size=self.size * 1.5, bold=True)
        self.layout.headings.append((len(self.layout.pages), text))

    def paragraph(self, text: str) -> None:
        line = ""
        for word in text.split():
            candidate = f"{line} {word}" if line else word
            if self.fits(candidate, self.size):
                line = candidate
                continue
            head, tail = self._split(line, word)
            if head:
                self.draw(f"{line} {head}-" if line else f"{head}-", size=self.size)
                self.layout.hyphenated.append((len(self.layout.pages), word))
                line = tail
            else:
                self.draw(line, size=self.size)
                line = word
        if line:
            self.draw(line, size=self.size)
        self.advance(self.size * 0.8)

    def _split(self, line: str, word: str) -> tuple[str, str]:
        """The longest ``head`` (3+ letters, leaving 3+ lowercase letters) that fits as
        ``head-`` on ``line``; ``("", word)`` if none does."""
        if not self.hyphenate or not line:
            return "", word
        for k in range(len(word) - 3, 2, -1):
            head, tail = word[:k], word[k:]
            if head.isalpha() and tail[:3].isalpha() and tail[:3].islower() and self.fits(
                    f"{line} {head}-", self.size):
                return head, tail
        return "", word


def write_pdf(path: Path, sections: Sequence[tuple[str | None, Sequence[str]]], *,
              title: str | None = None, header: str | None = "The Federalist Papers",
              footer: str | None = "A public-domain text", page_label: str | None = "Page {n}",
              columns: int = 1, size: float = 11, hyphenate: bool = True) -> Layout:
    """Write ``sections`` (a heading or None, then paragraphs) to a PDF at ``path``.

    :param page_label: the page number's format at the bottom right (``{n}`` is the number).
    :returns: what was drawn, page by page.
    """
    doc = pymupdf.open()
    writer = _Writer(doc, columns=columns, size=size, header=header, footer=footer,
                     page_label=page_label, hyphenate=hyphenate)
    for heading, paragraphs in sections:
        if heading:
            writer.heading(heading)
        for paragraph in paragraphs:
            writer.paragraph(paragraph)
    writer.flush()
    if title:
        doc.set_metadata({"title": title})
    doc.subset_fonts()
    doc.save(path, garbage=3, deflate=True)
    doc.close()
    return writer.layout


def write_encrypted_pdf(path: Path, text: str = "A secret paragraph.") -> None:
    """A PDF that needs a user password to open."""
    doc = pymupdf.open()
    doc.new_page().insert_text((MARGIN, MARGIN), text)
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner")
    doc.close()


def write_textless_pdf(path: Path, pages: int = 2) -> None:
    """A PDF whose pages have drawings but no text layer, like a scan."""
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page().draw_rect(pymupdf.Rect(100, 100, 300, 300), color=(0, 0, 0), fill=0.5)
    doc.subset_fonts()
    doc.save(path, garbage=3, deflate=True)
    doc.close()


def write_garbage_pdf(path: Path) -> None:
    """Bytes that are not a PDF at all, under a ``.pdf`` name."""
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)


def write_truncated_pdf(path: Path, source: Path, keep: float = 0.5) -> None:
    """The first ``keep`` fraction of a real PDF's bytes, as a broken download leaves it."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def paragraphs_of(text: str) -> list[str]:
    """The paragraphs of a plain text (blank-line separated), each on one line."""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
