"""PDF text with pymupdf: reading order, running headers/footers and page numbers removed,
hyphenation joined, headings found by font size.

Text comes from ``page.get_text("dict")``. On each page, blocks are put in reading order
column by column (a block spanning the page's middle closes the columns above it). A line at
the top or bottom edge of a page is dropped when it is a bare page number ("12", "Page 3",
"- 4 -", "3 of 10") or when the same line, digits aside, is at the edge of at least half the
pages. A block's lines are joined with spaces, except that a word hyphenated at the end of a
line is joined back together. A block set in a larger font than the body text, or in bold, and
short, is a heading.
"""

from __future__ import annotations

import collections
import math
import re

import attrs

from sdg_local.ingest import Document, Heading, Page, Unreadable

_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.|pg\.?)\s*)?[-\u2013\u2014\[(]?\s*(?:\d+|[ivxlcdm]+)\s*"
    r"(?:(?:of|/)\s*\d+)?\s*[-\u2013\u2014\])]?$", re.IGNORECASE)
_EDGE_LINES = 2  # how many lines at the top and at the bottom of a page may be furniture


@attrs.frozen
class _Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool


@attrs.frozen
class _Block:
    lines: tuple[_Line, ...]

    @property
    def x0(self) -> float:
        return min(line.x0 for line in self.lines)

    @property
    def x1(self) -> float:
        return max(line.x1 for line in self.lines)

    @property
    def y0(self) -> float:
        return min(line.y0 for line in self.lines)


def read_pdf(data: bytes, *, path: str, doc_id: str) -> Document:
    """Parse a PDF's bytes; raises :class:`Unreadable` for a corrupt, encrypted or empty one."""
    import pymupdf

    pymupdf.TOOLS.mupdf_warnings(reset=True)
    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # noqa: BLE001 - pymupdf raises FileDataError, RuntimeError, ...
        raise Unreadable(f"not a PDF / corrupt: {exc}") from exc
    with pdf:
        if pdf.needs_pass:
            raise Unreadable("encrypted PDF (needs a password)")
        if pdf.page_count == 0:
            raise Unreadable("not a PDF / corrupt: no pages")
        flags = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_LIGATURES
        pages = [_ordered_blocks(page.get_text("dict", flags=flags), page.rect.width)
                 for page in pdf]
        title = ((pdf.metadata or {}).get("title") or "").strip() or None
        repaired = pdf.is_repaired
    warning = pymupdf.TOOLS.mupdf_warnings().split("\n")[0] if repaired else ""
    notes = (f"damaged PDF repaired by MuPDF ({warning}); some text may be missing",
             ) if repaired else ()
    try:
        return _assemble(_drop_furniture(pages), path=path, doc_id=doc_id, title=title,
                         notes=notes)
    except Unreadable:
        if repaired:
            raise Unreadable(f"not a PDF / corrupt: no text could be recovered ({warning})"
                             ) from None
        raise


def _ordered_blocks(page_dict: dict, width: float) -> list[_Block]:
    blocks = []
    for block in page_dict["blocks"]:
        lines = []
        for line in block.get("lines", ()):
            spans = [s for s in line["spans"] if s["text"].strip()]
            text = " ".join("".join(s["text"] for s in line["spans"]).split())
            if not spans or not text:
                continue
            x0, y0, x1, y1 = line["bbox"]
            lines.append(_Line(text, x0, y0, x1, y1, max(s["size"] for s in spans),
                               all(s["flags"] & 16 for s in spans)))
        blocks.extend(_paragraphs(lines))
    return _reading_order(blocks, width)


def _paragraphs(lines: list[_Line]) -> list[_Block]:
    """Split one pymupdf block into paragraphs: at a change of font size or weight, or at a
    vertical gap of more than half a line."""
    out: list[list[_Line]] = []
    for line in lines:
        prev = out[-1][-1] if out else None
        if (prev is None or abs(line.size - prev.size) > 0.5 or line.bold != prev.bold
                or line.y0 - prev.y1 > 0.5 * min(line.size, prev.size)
                or line.y0 < prev.y0):
            out.append([line])
        else:
            out[-1].append(line)
    return [_Block(tuple(group)) for group in out]


def _reading_order(blocks: list[_Block], width: float) -> list[_Block]:
    """Top to bottom; between full-width blocks, the left column before the right one."""
    middle = width / 2
    ordered: list[_Block] = []
    left: list[_Block] = []
    right: list[_Block] = []

    def close_columns() -> None:
        ordered.extend(sorted(left, key=lambda b: (b.y0, b.x0)))
        ordered.extend(sorted(right, key=lambda b: (b.y0, b.x0)))
        left.clear()
        right.clear()

    for block in sorted(blocks, key=lambda b: (b.y0, b.x0)):
        if block.x1 <= middle + 1:
            left.append(block)
        elif block.x0 >= middle - 1:
            right.append(block)
        else:
            close_columns()
            ordered.append(block)
    close_columns()
    return ordered


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _edge_lines(blocks: list[_Block]) -> list[_Line]:
    lines = sorted((line for b in blocks for line in b.lines), key=lambda ln: ln.y0)
    if len(lines) <= 2 * _EDGE_LINES:
        return lines
    return lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]


def _drop_furniture(pages: list[list[_Block]]) -> list[list[_Block]]:
    """Drop page numbers and running headers/footers from the top and bottom of each page."""
    edges = [_edge_lines(blocks) for blocks in pages]
    counts = collections.Counter(k for lines in edges
                                 for k in {_furniture_key(ln.text) for ln in lines})
    needed = max(2, math.ceil(len(pages) / 2))
    out = []
    for blocks, edge in zip(pages, edges, strict=True):
        drop = {id(ln) for ln in edge if _PAGE_NUMBER.match(ln.text)
                or counts[_furniture_key(ln.text)] >= needed}
        kept = [_Block(tuple(ln for ln in b.lines if id(ln) not in drop)) for b in blocks]
        out.append([b for b in kept if b.lines])
    return out


def _join_lines(lines: tuple[_Line, ...]) -> str:
    text = lines[0].text
    for line in lines[1:]:
        nxt = line.text
        if len(text) > 1 and text[-1] in "-\u00ad" and text[-2].isalpha() and nxt[0].islower():
            text = text[:-1] + nxt
        else:
            text = text.rstrip("\u00ad") + " " + nxt
    return text


def _assemble(pages: list[list[_Block]], *, path: str, doc_id: str, title: str | None,
              notes: tuple[str, ...]) -> Document:
    sizes: collections.Counter[float] = collections.Counter()
    for blocks in pages:
        for b in blocks:
            for line in b.lines:
                sizes[round(line.size, 1)] += len(line.text)
    if not sizes:
        raise Unreadable("empty: no text layer (a scanned or blank PDF?)")
    body = sizes.most_common(1)[0][0]
    heading_sizes: set[float] = set()
    texts: list[list[tuple[str, bool, float]]] = []
    for blocks in pages:
        page_texts = []
        for b in blocks:
            text = _join_lines(b.lines)
            size = round(max(line.size for line in b.lines), 1)
            is_heading = len(text) <= 150 and len(b.lines) <= 3 and (
                size >= body * 1.15 or (all(ln.bold for ln in b.lines)
                                        and not text.endswith((".", ",", ";", ":"))))
            if is_heading:
                heading_sizes.add(size)
            page_texts.append((text, is_heading, size))
        texts.append(page_texts)
    levels = {size: min(i + 1, 6) for i, size in enumerate(sorted(heading_sizes, reverse=True))}
    page_records: list[Page] = []
    headings: list[Heading] = []
    offset = 0
    for number, page_texts in enumerate(texts, start=1):
        parts, pos = [], offset
        for text, is_heading, size in page_texts:
            if is_heading:
                headings.append(Heading(levels[size], text, pos, pos + len(text)))
            parts.append(text)
            pos += len(text) + 2
        page_text = "\n\n".join(parts)
        page_records.append(Page(number, page_text, offset))
        offset += len(page_text) + 2
    text = "\n\n".join(p.text for p in page_records)
    return Document(id=doc_id, path=path, kind="pdf",
                    title=title or (headings[0].text if headings else None),
                    pages=tuple(page_records), text=text, headings=tuple(headings),
                    notes=notes)
