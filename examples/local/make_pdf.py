"""Make examples/local/corpus/federalist_02.pdf from examples/local/pdf_source/federalist_02.txt.

The PDF is laid out like a printed book (running header and footer, page numbers, words
hyphenated at line ends) by the same writer the sdg-local tests use, so the bundled corpus has
a real multi-page PDF for the ``local`` task to read. Run from the repository root:

    .venv/bin/python examples/local/make_pdf.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "plugins" / "sdg-local" / "tests"))

from pdfs import paragraphs_of, write_pdf  # noqa: E402


def main() -> None:
    source = HERE / "pdf_source" / "federalist_02.txt"
    target = HERE / "corpus" / "federalist_02.pdf"
    heading, *paragraphs = paragraphs_of(source.read_text(encoding="utf-8"))
    layout = write_pdf(target, [(heading, paragraphs)], title="The Federalist No. 2",
                       header="The Federalist Papers", footer="Publius, 1787",
                       page_label="Page {n}")
    print(f"wrote {target} ({len(layout.pages)} pages, {target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
