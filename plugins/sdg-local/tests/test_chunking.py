"""Chunking of the bundled corpus (text, Markdown, HTML and a real PDF)."""

from pathlib import Path

import pytest

from sdg_local.chunking import chunk_document
from sdg_local.ingest import load_documents, parse
from sdg_local.tokens import count_tokens, token_spans
from sdgcore import Passage

CORPUS = Path(__file__).parents[3] / "examples" / "local" / "corpus"


@pytest.fixture(scope="module")
def corpus():
    docs, skipped = load_documents([CORPUS])
    assert skipped == [] and len(docs) == 5
    return {Path(d.path).name: d for d in docs}


def measure(text: str, unit: str) -> int:
    return count_tokens(text) if unit == "tokens" else len(text)


def test_tokens():
    text = "It's 1787, and Publius_writes: \"No. 10\"!"
    assert [text[s:e] for s, e in token_spans(text)] == [
        "It", "'", "s", "1787", ",", "and", "Publius", "_", "writes", ":", '"', "No", ".",
        "10", '"', "!"]
    assert count_tokens(text) == 16 and count_tokens("  \n ") == 0


@pytest.mark.parametrize(("unit", "size", "overlap"),
                         [("tokens", 128, 16), ("tokens", 40, 8), ("chars", 600, 100),
                          ("chars", 150, 0)])
def test_lineage_sizes_overlap_and_coverage(corpus, unit, size, overlap):
    for doc in corpus.values():
        chunks = chunk_document(doc, size, overlap, unit)
        assert [c.index for c in chunks] == list(range(len(chunks)))
        covered = [False] * len(doc.text)
        for c in chunks:
            assert c.text == doc.text[c.start:c.end] and c.text == c.text.strip()
            assert measure(c.text, unit) <= size, (doc.path, c.id)
            assert c.id == f"{doc.id}:{c.start}-{c.end}" and c.doc_id == doc.id
            assert c.path == doc.path
            covered[c.start:c.end] = [True] * (c.end - c.start)
        lost = "".join(ch for ch, seen in zip(doc.text, covered, strict=True) if not seen)
        assert lost.strip() == "", f"{doc.path}: text in no chunk: {lost.strip()[:80]!r}"
        overlaps = []
        for a, b in zip(chunks, chunks[1:], strict=False):
            assert b.start > a.start and b.end > a.end
            if b.start < a.end:
                assert a.heading == b.heading
                overlaps.append(measure(doc.text[b.start:a.end], unit))
        assert all(o <= overlap for o in overlaps)
        if overlap and len(chunks) > 3:
            assert overlaps, f"{doc.path}: no chunk overlaps its neighbour"


def test_page_spans_follow_the_pdf_pages(corpus):
    doc = corpus["federalist_02.pdf"]
    chunks = chunk_document(doc, 200, 20)
    assert chunks[0].page_start == 1 and chunks[-1].page_end == len(doc.pages)
    for c in chunks:
        first = max(p.number for p in doc.pages if p.start <= c.start)
        last = max(p.number for p in doc.pages if p.start <= c.end - 1)
        assert (c.page_start, c.page_end) == (first, last)
    assert any(c.page_start < c.page_end for c in chunks), "some chunk should span a page break"
    assert {c.page_start for c in chunks} == {p.number for p in doc.pages}


def test_headings_are_tracked(corpus):
    md = corpus["federalist_03.md"]
    chunks = chunk_document(md, 100, 10)
    # The title has no text of its own, so it joins the section after it.
    assert chunks[0].text.startswith("# FEDERALIST No. 3\n\n## The Same Subject Continued")
    assert {c.heading for c in chunks} == {"The Same Subject Continued"}
    html = chunk_document(corpus["federalist_04.html"], 100, 10)
    assert {c.heading for c in html} == {"The Same Subject Continued"}
    assert {c.heading for c in chunk_document(corpus["federalist_01.txt"], 100, 10)} == {None}
    doc = parse(b"Intro text.\n\n# One\n\nFirst body.\n\n# Two\n\nSecond body.", "md",
                path="h.md", doc_id="0" * 16)
    assert [(c.heading, c.text) for c in chunk_document(doc, 50, 5)] == [
        (None, "Intro text."), ("One", "# One\n\nFirst body."), ("Two", "# Two\n\nSecond body.")]


def test_ids_are_stable_across_runs_and_paths(corpus, tmp_path):
    doc = corpus["federalist_05.md"]
    first = chunk_document(doc, 128, 16)
    (tmp_path / "renamed.md").write_bytes(Path(doc.path).read_bytes())
    (again,), _ = load_documents([tmp_path / "renamed.md"])
    assert [c.id for c in chunk_document(again, 128, 16)] == [c.id for c in first]
    assert len({c.id for c in first}) == len(first)


def test_a_sentence_longer_than_the_size_is_split():
    words = " ".join(f"word{i}" for i in range(300))
    doc = parse(f"Start. {words} end.".encode(), "txt", path="long.txt", doc_id="1" * 16)
    for unit, size in (("tokens", 50), ("chars", 120)):
        chunks = chunk_document(doc, size, 10, unit)
        assert all(measure(c.text, unit) <= size for c in chunks)
        assert " ".join(c.text for c in chunk_document(doc, size, 0, unit)).split() == \
            doc.text.split()
    assert all(not c.text[0].isdigit() for c in chunk_document(doc, 120, 0, "chars"))


def test_bad_arguments(corpus):
    doc = corpus["federalist_01.txt"]
    with pytest.raises(ValueError, match=r"overlap .* less than the chunk size \(64\), got 64"):
        chunk_document(doc, 64, 64)
    with pytest.raises(ValueError, match="got -1"):
        chunk_document(doc, 64, -1)
    with pytest.raises(ValueError, match="at least 1, got 0"):
        chunk_document(doc, 0, 0)
    with pytest.raises(ValueError, match="'tokens' or 'chars', got 'words'"):
        chunk_document(doc, 64, 8, "words")


def test_passage_keeps_lineage(corpus):
    chunk = chunk_document(corpus["federalist_02.pdf"], 200, 20)[3]
    passage = chunk.passage()
    assert isinstance(passage, Passage)
    assert (passage.id, passage.text) == (chunk.id, chunk.text)
    assert dict(passage.meta) == {
        "doc": chunk.doc_id, "path": chunk.path, "pages": [chunk.page_start, chunk.page_end],
        "start": chunk.start, "end": chunk.end, "heading": chunk.heading}
