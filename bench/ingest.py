"""Ingestion benchmark: PDF pages/s and chunks/s for the ``local`` task, against plain pymupdf.

Builds a corpus of book-like PDFs at bench time (running headers and footers, page numbers,
hyphenated line ends; each document a different shuffle of the bundled public-domain corpus,
so none is a duplicate), then measures, in one run:

- ``pymupdf get_text``: open each PDF and call ``page.get_text()`` on every page, no cleaning
  (the floor: what text extraction alone costs);
- ``load_documents``: sdg-local's reader (reading order, header/footer and page-number removal,
  hyphenation, headings), no cache; its ratio to the floor is the cost of the cleaning;
- ``load_documents (cached)``: the same call again with the parsed-document cache warm;
- ``chunk_document``: chunking every document at the task's default size (512 tokens, 64
  overlap), in chunks/s.

The default corpus gives more than 10,000 chunks. ``--quick`` builds a few small PDFs.

    python bench/ingest.py [--docs 48] [--pages 170] [--json PATH] [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from common import add_output_args, print_table, write_results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "sdg-local" / "tests"))

from pdfs import paragraphs_of, write_pdf  # noqa: E402

from sdg_local.chunking import chunk_document  # noqa: E402
from sdg_local.ingest import load_documents  # noqa: E402

CORPUS = ROOT / "examples" / "local" / "corpus"
SOURCE = ROOT / "examples" / "local" / "pdf_source"


def corpus_paragraphs() -> list[str]:
    """Every paragraph of the bundled text files (not the PDF), markup aside."""
    paragraphs = []
    for path in sorted([*CORPUS.glob("*.txt"), *CORPUS.glob("*.md"), *SOURCE.glob("*.txt")]):
        paragraphs += [p.lstrip("#* ").rstrip("*") for p in
                       paragraphs_of(path.read_text(encoding="utf-8"))]
    return paragraphs


def build_corpus(folder: Path, docs: int, pages: int, distinct: int = 4, seed: int = 0) -> int:
    """Write ``docs`` PDFs of about ``pages`` pages each; returns the total page count.

    ``distinct`` of them are laid out from different shuffles of the corpus; the rest are
    copies of those with their own title in the metadata (so no two files share a hash, and
    laying out thousands of pages does not dominate the run)."""
    import pymupdf

    source = corpus_paragraphs()
    rng = random.Random(seed)
    total = 0
    for i in range(docs):
        path = folder / f"volume_{i:03d}.pdf"
        if i >= distinct:
            with pymupdf.open(folder / f"volume_{i % distinct:03d}.pdf") as pdf:
                pdf.set_metadata({"title": f"The Federalist Papers, volume {i + 1}"})
                pdf.save(path)
                total += pdf.page_count
            continue
        sections = []
        drawn = 0
        while drawn < pages * 3000:  # a page holds about 3,000 characters at 11 pt
            paragraphs = rng.sample(source, k=min(12, len(source)))
            sections.append((f"Part {len(sections) + 1}", paragraphs))
            drawn += sum(len(p) for p in paragraphs)
        layout = write_pdf(path, sections, title=f"The Federalist Papers, volume {i + 1}",
                           header="The Federalist Papers")
        total += len(layout.pages)
    return total


def plain_pymupdf(paths: list[Path]) -> int:
    import pymupdf

    chars = 0
    for path in paths:
        with pymupdf.open(path) as pdf:
            for page in pdf:
                chars += len(page.get_text())
    return chars


def timed(fn):
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall0, time.process_time() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=48)
    parser.add_argument("--pages", type=int, default=170, help="pages per document, roughly")
    parser.add_argument("--chunk-size", type=int, default=512)
    parser.add_argument("--chunk-overlap", type=int, default=64)
    add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.docs, args.pages = 3, 4

    with tempfile.TemporaryDirectory() as tmp:
        folder, cache = Path(tmp) / "pdfs", Path(tmp) / "cache"
        folder.mkdir()
        t0 = time.perf_counter()
        pages = build_corpus(folder, args.docs, args.pages)
        build_s = time.perf_counter() - t0
        paths = sorted(folder.glob("*.pdf"))
        rows = []
        _, wall, cpu = timed(lambda: plain_pymupdf(paths))
        rows.append({"path": "pymupdf get_text", "wall_s": wall, "cpu_s": cpu, "items": pages})
        (docs, skipped), wall, cpu = timed(lambda: load_documents([folder], cache_dir=cache))
        assert not skipped, skipped
        assert sum(len(d.pages) for d in docs) == pages
        rows.append({"path": "load_documents", "wall_s": wall, "cpu_s": cpu, "items": pages})
        (cached, _), wall, cpu = timed(lambda: load_documents([folder], cache_dir=cache))
        assert [d.text for d in cached] == [d.text for d in docs]
        rows.append({"path": "load_documents (cached)", "wall_s": wall, "cpu_s": cpu,
                     "items": pages})
        chunks, wall, cpu = timed(lambda: [c for d in docs for c in chunk_document(
            d, args.chunk_size, args.chunk_overlap)])
        rows.append({"path": "chunk_document", "wall_s": wall, "cpu_s": cpu,
                     "items": len(chunks)})

    floor = rows[0]["wall_s"]
    columns = ["path", "items", "wall s", "per s", "vs pymupdf"]
    table = []
    for r in rows:
        r["per_s"] = r["items"] / r["wall_s"] if r["wall_s"] else float("inf")
        r["unit"] = "chunks" if r["path"] == "chunk_document" else "pages"
        r["vs_floor"] = r["wall_s"] / floor if r["unit"] == "pages" else None
        table.append([r["path"], f"{r['items']} {r['unit']}", f"{r['wall_s']:.2f}",
                      f"{r['per_s']:,.0f} {r['unit']}/s",
                      f"{r['vs_floor']:.2f}x" if r["vs_floor"] is not None else "-"])
    title = (f"ingest: {args.docs} PDFs, {pages} pages, {len(chunks)} chunks of "
             f"{args.chunk_size} tokens (corpus built in {build_s:.1f}s)")
    print_table(title, columns, table)
    if not args.quick and len(chunks) < 10_000:
        print(f"warning: only {len(chunks)} chunks; raise --docs or --pages for >= 10,000")
    out = write_results("ingest", args.json, args=args, rows=rows, title=title,
                        columns=columns, table=table, dists=("sdg-local", "pymupdf"),
                        pages=pages, chunks=len(chunks), build_s=build_s)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
