"""Markdown headings and HTML-to-text, the structure chunking splits on."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sdg_local.ingest import Heading

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def find_headings(text: str) -> list[Heading]:
    """ATX (``# Title``) and setext (``Title`` over ``===`` or ``---``) headings of a Markdown
    text, outside code fences. A heading's span covers its whole line(s), marks included.
    A setext title must be a single line after a blank line (so ``---`` under a longer
    paragraph stays a rule)."""
    headings: list[Heading] = []
    fence: str | None = None
    offset = 0
    blank_before = True  # the line before this one was blank (or there was none)
    title: tuple[int, str] | None = None  # the previous line, if it could be a setext title
    for line in text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        candidate = None
        if (m := _FENCE.match(line)) is not None:
            fence = None if fence == m.group(1) else fence or m.group(1)
        elif fence is not None:
            pass
        elif (m := _ATX.match(line)) is not None and m.group(2).strip():
            headings.append(Heading(len(m.group(1)), m.group(2).strip(), start,
                                    start + len(line)))
        elif (m := _SETEXT.match(line)) is not None and title is not None:
            level = 1 if m.group(1)[0] == "=" else 2
            headings.append(Heading(level, title[1].strip(), title[0], start + len(line)))
        elif line.strip() and blank_before and not line.lstrip().startswith(_NOT_TITLE):
            candidate = (start, line)
        title = candidate
        blank_before = not line.strip()
    return headings


_NOT_TITLE = ("-", "*", "+", ">", "|", "<", "```", "~~~")


_DROP = {"script", "style", "nav", "noscript", "template", "svg", "head", "iframe", "form"}
_BLOCK = {"p", "div", "li", "ul", "ol", "br", "tr", "table", "section", "article", "main",
          "blockquote", "pre", "dd", "dt", "dl", "figure", "figcaption", "hr", "header",
          "footer", "aside", "td", "th", "caption", "address", "h1", "h2", "h3", "h4", "h5",
          "h6"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source",
         "track", "wbr"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []  # (heading level or 0, text)
        self.title: str | None = None
        self._buf: list[str] = []
        self._level = 0
        self._drop = 0
        self._pre = 0
        self._in_title = False

    def _flush(self) -> None:
        text = "".join(self._buf)
        text = text.strip("\n") if self._pre else " ".join(text.split())
        if text.strip():
            self.blocks.append((self._level, text))
        self._buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _DROP and tag not in _VOID:
            self._drop += 1
        elif tag in _BLOCK:
            self._flush()
            if tag[0] == "h" and tag[1:].isdigit():
                self._level = int(tag[1])
            self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _DROP:
            self._drop = max(self._drop - 1, 0)
        elif tag in _BLOCK:
            self._flush()
            if tag[0] == "h" and tag[1:].isdigit():
                self._level = 0
            if tag == "pre":
                self._pre = max(self._pre - 1, 0)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = ((self.title or "") + data).strip() or None
        elif not self._drop:
            self._buf.append(data)


def html_to_text(html: str) -> tuple[str | None, str, list[Heading]]:
    """The title, the visible text (one paragraph per block element, joined with blank lines)
    and the ``h1``-``h6`` headings of an HTML page. Scripts, styles, navigation and forms are
    dropped."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    parser._flush()
    parts: list[str] = []
    headings: list[Heading] = []
    offset = 0
    for level, block in parser.blocks:
        if parts:
            offset += 2
        if level:
            headings.append(Heading(level, block, offset, offset + len(block)))
        parts.append(block)
        offset += len(block)
    title = parser.title or (headings[0].text if headings else None)
    return title, "\n\n".join(parts), headings
