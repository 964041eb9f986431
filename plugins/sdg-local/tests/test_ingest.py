"""Ingestion on real files: PDFs made with pymupdf, the bundled public-domain corpus, and the
broken files a real folder holds."""

import os
from pathlib import Path

import attrs
import pytest

from sdg_local.ingest import MAX_FILE_BYTES, load_documents
from sdgcore.testing.modules import load_path

HERE = Path(__file__).parent
CORPUS = HERE.parents[2] / "examples" / "local" / "corpus"
PDF_SOURCE = HERE.parents[2] / "examples" / "local" / "pdf_source" / "federalist_02.txt"


pdfs = load_path(HERE / "pdfs.py")


def words(text: str) -> list[str]:
    return text.split()


@pytest.fixture(scope="module")
def paper() -> tuple[str, list[str]]:
    heading, *paragraphs = pdfs.paragraphs_of(PDF_SOURCE.read_text(encoding="utf-8"))
    return heading, paragraphs


def test_multi_page_pdf_keeps_pages_and_drops_furniture(tmp_path, paper):
    heading, paragraphs = paper
    layout = pdfs.write_pdf(tmp_path / "f2.pdf", [(heading, paragraphs)], title="No. 2",
                            header="The Federalist Papers", footer="Publius, 1787")
    (doc,), skipped = load_documents([tmp_path / "f2.pdf"])
    assert skipped == []
    assert doc.kind == "pdf" and doc.title == "No. 2"
    assert [p.number for p in doc.pages] == list(range(1, len(layout.pages) + 1))
    assert len(doc.pages) >= 3
    # Every word of the paper, in order, and nothing else: no header, footer or page number,
    # and each word hyphenated at a line end is whole again.
    assert words(doc.text) == words(" ".join([heading, *paragraphs]))
    assert layout.hyphenated, "the layout should have hyphenated some words"
    for page_number, word in layout.hyphenated:
        page = doc.pages[page_number - 1]
        assert word in page.text, (page_number, word)
    for page, drawn in zip(doc.pages, layout.pages, strict=True):
        assert doc.text[page.start:page.start + len(page.text)] == page.text
        assert drawn[0].rstrip("-").split()[0] in page.text.split()[0]
        assert "Federalist Papers" not in page.text and "Publius, 1787" not in page.text
    assert [h.text for h in doc.headings] == [heading]
    assert doc.page_at(0) == 1
    assert doc.page_at(doc.pages[-1].start) == len(doc.pages)
    assert doc.page_at(doc.pages[1].start - 1) == 1  # the gap between pages: the page before
    with pytest.raises(IndexError, match="f2.pdf"):
        doc.page_at(len(doc.text) + 1)


@pytest.mark.parametrize("label", ["{n}", "- {n} -", "Page {n} of 9", "p. {n}", "[{n}]"])
def test_page_number_styles_are_dropped(tmp_path, paper, label):
    heading, paragraphs = paper
    pdfs.write_pdf(tmp_path / "p.pdf", [(heading, paragraphs[:12])], header=None, footer=None,
                   page_label=label)
    (doc,), _ = load_documents([tmp_path / "p.pdf"])
    assert len(doc.pages) >= 2
    assert words(doc.text) == words(" ".join([heading, *paragraphs[:12]]))


def test_two_columns_read_left_column_first(tmp_path, paper):
    heading, paragraphs = paper
    layout = pdfs.write_pdf(tmp_path / "cols.pdf", [(heading, paragraphs)], columns=2)
    (doc,), _ = load_documents([tmp_path / "cols.pdf"])
    assert len(layout.pages) >= 2
    assert words(doc.text) == words(" ".join([heading, *paragraphs]))


def test_broken_files_are_reported_and_the_rest_load(tmp_path, paper):
    heading, paragraphs = paper
    root = tmp_path / "docs"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    good = pdfs.write_pdf(root / "good.pdf", [(heading, paragraphs[:12])])
    assert len(good.pages) >= 2
    pdfs.write_encrypted_pdf(root / "locked.pdf")
    pdfs.write_textless_pdf(root / "scan.pdf")
    pdfs.write_garbage_pdf(root / "nested" / "garbage.pdf")
    pdfs.write_truncated_pdf(root / "nested" / "truncated.pdf", root / "good.pdf", keep=0.3)
    (root / "nested" / "deeper" / "notes.md").write_text("# Notes\n\nA short note.\n")
    latin1 = "Caf\u00e9 \u2013 r\u00e9sum\u00e9"
    (root / "nested" / "latin1.txt").write_bytes(latin1.encode("cp1252"))
    (root / "nested" / "undecodable.txt").write_bytes(b"abc \x81\x8d\x8f\x90 def")
    (root / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (root / "blank.md").write_text("  \n\n \n")
    (root / "report.docx").write_bytes(b"PK\x03\x04")
    (root / ".secret.txt").write_text("hidden files are not read")
    (root / ".hidden" / "x.md").write_text("# hidden folders are not read")
    missing = tmp_path / "missing.pdf"

    docs, skipped = load_documents([root, missing])
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert reasons == {
        "blank.md": "empty: no text",
        "image.txt": "binary file (NUL bytes), not text",
        "locked.pdf": "encrypted PDF (needs a password)",
        "garbage.pdf": reasons["garbage.pdf"],
        "truncated.pdf": reasons["truncated.pdf"],
        "undecodable.txt": "not text: neither UTF-8 nor cp1252",
        "report.docx": reasons["report.docx"],
        "scan.pdf": "empty: no text layer (a scanned or blank PDF?)",
        "missing.pdf": "no such file or folder",
    }
    assert reasons["garbage.pdf"].startswith("not a PDF / corrupt: ")
    assert reasons["truncated.pdf"].startswith("not a PDF / corrupt: ")
    assert reasons["report.docx"].startswith("unsupported file type '.docx' (supported: ")
    assert [s.path for s in skipped if "missing" in s.path] == [str(missing)]
    loaded = {Path(d.path).relative_to(root).as_posix(): d for d in docs}
    assert list(loaded) == ["good.pdf", "nested/latin1.txt", "nested/deeper/notes.md"]
    assert loaded["nested/latin1.txt"].text == latin1
    assert loaded["nested/latin1.txt"].notes == ("not UTF-8; decoded as cp1252",)
    assert loaded["good.pdf"].notes == ()


def test_a_damaged_pdf_that_mupdf_repairs_loads_with_a_note(tmp_path, paper):
    heading, paragraphs = paper
    pdfs.write_pdf(tmp_path / "whole.pdf", [(heading, paragraphs)])
    data = (tmp_path / "whole.pdf").read_bytes()
    xref = data.rindex(b"startxref")
    (tmp_path / "damaged.pdf").write_bytes(data[:xref])  # no xref table at the end
    (doc,), skipped = load_documents([tmp_path / "damaged.pdf"])
    assert skipped == []
    assert doc.notes and doc.notes[0].startswith("damaged PDF repaired by MuPDF")
    assert words(doc.text) == words(" ".join([heading, *paragraphs]))


def test_html_text_title_and_headings(tmp_path):
    (doc,), _ = load_documents([CORPUS / "federalist_04.html"])
    assert doc.title == "The Federalist No. 4"
    assert [(h.level, h.text) for h in doc.headings] == [
        (1, "FEDERALIST No. 4"), (2, "The Same Subject Continued")]
    for h in doc.headings:
        assert doc.text[h.start:h.end] == h.text
    assert doc.text.startswith("FEDERALIST No. 4\n\nThe Same Subject Continued\n\n")
    assert "No. 3 | No. 5" not in doc.text and "document.title" not in doc.text
    assert "font-family" not in doc.text
    assert doc.text.endswith("it never fails to be against themselves.\n\nPUBLIUS.")
    assert "MY LAST paper assigned several reasons why the safety of the people" in doc.text


def test_markdown_and_text_from_the_corpus():
    docs, skipped = load_documents([CORPUS])
    assert skipped == []
    by_name = {Path(d.path).name: d for d in docs}
    assert sorted(by_name) == ["federalist_01.txt", "federalist_02.pdf", "federalist_03.md",
                               "federalist_04.html", "federalist_05.md"]
    md = by_name["federalist_03.md"]
    assert md.title == "FEDERALIST No. 3"
    assert [(h.level, md.text[h.start:h.end]) for h in md.headings] == [
        (1, "# FEDERALIST No. 3"), (2, "## The Same Subject Continued")]
    txt = by_name["federalist_01.txt"]
    assert txt.title is None and txt.headings == () and len(txt.pages) == 1
    assert txt.text.startswith("FEDERALIST. No. 1") and txt.text.endswith("Constitution.")
    assert all(len(d.id) == 16 and int(d.id, 16) >= 0 for d in docs)
    assert len({d.id for d in docs}) == len(docs)
    pdf = by_name["federalist_02.pdf"]
    source = pdfs.paragraphs_of(PDF_SOURCE.read_text(encoding="utf-8"))
    assert words(pdf.text) == words(" ".join(source))


def test_duplicates_and_repeated_paths(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nSame text.\n")
    (tmp_path / "b.md").write_text("# A\n\nSame text.\n")
    docs, skipped = load_documents([tmp_path / "a.md", tmp_path, tmp_path / "a.md"])
    assert [Path(d.path).name for d in docs] == ["a.md"]
    assert [(Path(s.path).name, s.reason) for s in skipped] == [
        ("b.md", f"duplicate of {tmp_path / 'a.md'}")]


def test_too_large_is_skipped(tmp_path):
    assert MAX_FILE_BYTES == 200 * 2**20
    (tmp_path / "big.txt").write_text("word " * 100)
    docs, skipped = load_documents([tmp_path], max_bytes=100)
    assert docs == [] and skipped[0].reason == "too large: 500 bytes (the limit is 100)"


def test_cache_is_reused_without_parsing(tmp_path, paper, monkeypatch):
    heading, paragraphs = paper
    pdfs.write_pdf(tmp_path / "doc.pdf", [(heading, paragraphs[:12])])
    cache = tmp_path / "cache"
    (first,), _ = load_documents([tmp_path / "doc.pdf"], cache_dir=cache)
    (entry,) = cache.iterdir()
    assert entry.name.startswith(first.id) and entry.suffix == ".json"
    stamp = entry.stat().st_mtime_ns

    import pymupdf

    def no_parsing(*args, **kwargs):
        raise AssertionError("the cached document was parsed again")

    monkeypatch.setattr(pymupdf, "open", no_parsing)
    (tmp_path / "copy.pdf").write_bytes((tmp_path / "doc.pdf").read_bytes())
    (again,), _ = load_documents([tmp_path / "copy.pdf"], cache_dir=cache)
    assert again == attrs.evolve(first, path=str(tmp_path / "copy.pdf"))
    assert entry.stat().st_mtime_ns == stamp
    monkeypatch.undo()

    entry.write_text('{"version": 1, "document": {"id": "trunc')  # a corrupt entry
    (reparsed,), _ = load_documents([tmp_path / "doc.pdf"], cache_dir=cache)
    assert reparsed == first
    os.utime(entry, ns=(0, 0))
    (cached,), _ = load_documents([tmp_path / "doc.pdf"], cache_dir=cache)
    assert cached == first and entry.stat().st_mtime_ns == 0
