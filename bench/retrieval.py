"""Retrieval benchmark: index build time and queries/s of sdg-local's ``bm25`` retriever
(tantivy) against rank-bm25's ``BM25Okapi``, the baseline, on one corpus and query set.

The corpus is made at bench time from the bundled public-domain texts (``examples/local/``):
their sentences, recombined with a fixed seed into chunks of 100-200 words, 20 chunks to a
document. Queries are 2-4 words drawn from the corpus vocabulary. Measured, in one run:

- ``rank-bm25``: tokenising (lower-cased words) and ``BM25Okapi(...)``; a query is
  ``get_scores`` then the top 10 (the baseline, ratio 1);
- ``sdg bm25 (none)``: ``BM25Index`` with the same tokenisation (no stop words, no stemming),
  built from scratch; a query is ``search(q, 10)`` (de-duplication and document spread
  included); its top-10 overlap with rank-bm25's says both rank alike;
- ``sdg bm25 (english)``: the retriever's default analysis (stop words, stemming);
- ``sdg bm25 reopen``: ``BM25Index.build`` finding the complete index (a resumed run);
- ``sdg embedding``: for information, all-MiniLM-L6-v2 on the first ``--embed-chunks``
  chunks (CPU), a query embedded then matched by cosine similarity.

    python bench/retrieval.py [--chunks 12000] [--queries 500] [--embed-chunks 2000]
                              [--json PATH] [--quick]
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from common import add_output_args, print_table, write_results

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [ROOT / "examples" / "local" / "corpus", ROOT / "examples" / "local" / "pdf_source"]
WORD = re.compile(r"[^\W_]+")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
STOP = frozenset("a an and are as at be but by for from has have he his i in is it its of on or "
                 "that the their them there these they this to was were which will with would "
                 "not no may must been can than so if all any".split())
FALLBACK = ("Volcanoes erupt when pressure in a magma chamber forces molten rock upward. "
            "Honeybees communicate the distance to flowers with a waggle dance. "
            "Bread rises because yeast ferments sugar and releases carbon dioxide. "
            "TCP retransmits segments that the receiver does not acknowledge. "
            "Electric cars drive their wheels with motors fed by a battery pack.")


def sentences() -> list[str]:
    """The sentences of the bundled texts (markup stripped), or a few fallback ones."""
    found = []
    for folder in TEXTS:
        for path in sorted(folder.glob("*")) if folder.is_dir() else ():
            if path.suffix not in {".txt", ".md", ".html"}:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".html":
                text = html.unescape(re.sub(r"<(style|script)[^>]*>.*?</\1>|<[^>]+>", " ", text,
                                            flags=re.S))
            text = re.sub(r"[#*_`>]+", " ", text)
            found += [" ".join(s.split()) for s in SENTENCE_END.split(text)
                      if len(s.split()) >= 4]
    return found or SENTENCE_END.split(FALLBACK)


def make_corpus(n: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """``n`` chunks ``(id, doc, text)`` of 100-200 words recombined from :func:`sentences`."""
    rng = random.Random(seed)
    pool = sentences()
    chunks = []
    for i in range(n):
        target, words, parts = rng.randint(100, 200), 0, []
        while words < target:
            sentence = rng.choice(pool)
            parts.append(sentence)
            words += len(sentence.split())
        chunks.append((f"c{i}", f"d{i // 20}", " ".join(parts)))
    return chunks


def make_queries(chunks: Sequence[tuple[str, str, str]], n: int, seed: int = 1) -> list[str]:
    """``n`` queries of 2-4 distinct non-stop words from the corpus vocabulary."""
    rng = random.Random(seed)
    vocab = sorted({w.lower() for _, _, text in chunks for w in WORD.findall(text)} - STOP)
    vocab = [w for w in vocab if len(w) > 2 and not w.isdigit()]
    return [" ".join(rng.sample(vocab, rng.randint(2, 4))) for _ in range(n)]


def tokenize(text: str) -> list[str]:
    """Lower-cased words: what tantivy's simple tokenizer with a lowercase filter yields."""
    return WORD.findall(text.lower())


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def rate(queries: Sequence[str], search: Callable[[str], list[str]]) -> tuple[list, float]:
    """Run every query; returns the top-10 id lists and queries per second."""
    results, seconds = timed(lambda: [search(q) for q in queries])
    return results, len(queries) / seconds


def overlap(a: Sequence[Sequence[str]], b: Sequence[Sequence[str]]) -> float:
    """Mean share of ``a``'s top 10 that ``b`` also returned, over queries ``a`` fills."""
    shares = [len(set(x) & set(y)) / len(x) for x, y in zip(a, b, strict=True) if len(x) == 10]
    return sum(shares) / len(shares) if shares else float("nan")


def bench_rank_bm25(chunks, queries) -> tuple[dict, list]:
    import numpy as np
    from rank_bm25 import BM25Okapi

    ids = [cid for cid, _, _ in chunks]
    model, build = timed(lambda: BM25Okapi([tokenize(text) for _, _, text in chunks]))

    def search(query: str) -> list[str]:
        scores = model.get_scores(tokenize(query))
        top = np.argpartition(-scores, min(10, len(scores) - 1))[:10]
        return [ids[i] for i in top[np.argsort(-scores[top])] if scores[i] > 0]

    results, qps = rate(queries, search)
    return {"retriever": "rank-bm25", "build_s": build, "qps": qps}, results


def bench_sdg_bm25(chunks, queries, root: Path, language: str) -> tuple[list[dict], list]:
    from sdg_local.bm25 import BM25Index
    from sdgcore import Passage

    passages = [Passage(cid, text, {"doc": doc}) for cid, doc, text in chunks]
    index, build = timed(lambda: BM25Index.build(root, passages, language=language,
                                                 reuse=False))
    results, qps = rate(queries, lambda q: [h.passage.id for h in index.search(q, 10)])
    rows = [{"retriever": f"sdg bm25 ({language})", "build_s": build, "qps": qps}]
    if language == "english":
        reopened, seconds = timed(lambda: BM25Index.build(root, passages, language=language))
        assert not reopened.built
        rows.append({"retriever": "sdg bm25 reopen", "build_s": seconds, "qps": None})
    return rows, results


def bench_embedding(chunks, queries, root: Path) -> dict:
    from sdg_local.embedding import EmbeddingIndex
    from sdgcore import Passage
    from sdgcore.embeddings import load_model

    load_model()  # the one-off model load is not part of the build
    passages = [Passage(cid, text, {"doc": doc}) for cid, doc, text in chunks]
    index, build = timed(lambda: EmbeddingIndex.build(root, passages, reuse=False))
    _, qps = rate(queries, lambda q: [h.passage.id for h in index.search(q, 10)])
    return {"retriever": f"sdg embedding ({len(chunks)} chunks)", "build_s": build, "qps": qps,
            "info_only": True}


COLUMNS = ("retriever", "build s", "build vs rank-bm25", "queries/s", "q/s vs rank-bm25",
           "top-10 overlap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=12000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--embed-chunks", type=int, default=2000,
                        help="chunks for the embedding row (0: skip it)")
    add_output_args(parser)
    args = parser.parse_args()
    if args.quick:
        args.chunks, args.queries = min(args.chunks, 1000), min(args.queries, 100)
        args.embed_chunks = min(args.embed_chunks, 100)
    chunks = make_corpus(args.chunks)
    queries = make_queries(chunks, args.queries)
    words = sum(len(text.split()) for _, _, text in chunks)
    base, base_top = bench_rank_bm25(chunks, queries)
    rows = [base]
    with tempfile.TemporaryDirectory() as tmp:
        plain, plain_top = bench_sdg_bm25(chunks, queries, Path(tmp) / "none", "none")
        plain[0]["top10_overlap"] = overlap(base_top, plain_top)
        english, _ = bench_sdg_bm25(chunks, queries, Path(tmp) / "english", "english")
        rows += plain + english
        if args.embed_chunks:
            rows.append(bench_embedding(chunks[: args.embed_chunks], queries,
                                        Path(tmp) / "embedding"))
    title = (f"retrieval: {len(chunks)} chunks ({words} words), {len(queries)} queries, "
             f"top 10")
    table = []
    for r in rows:
        comparable = not r.get("info_only")
        r["build_ratio"] = r["build_s"] / base["build_s"] if comparable else None
        r["qps_ratio"] = r["qps"] / base["qps"] if r["qps"] and comparable else None
        table.append([r["retriever"], f"{r['build_s']:.3f}",
                      f"{r['build_ratio']:.3f}" if r["build_ratio"] is not None else "-",
                      f"{r['qps']:.0f}" if r["qps"] else "-",
                      f"{r['qps_ratio']:.1f}" if r["qps_ratio"] else "-",
                      f"{r['top10_overlap']:.2f}" if "top10_overlap" in r else "-"])
    print_table(title, COLUMNS, table)
    out = write_results("retrieval", args.json, args=args, rows=rows, title=title,
                        columns=COLUMNS, table=table, chunks=len(chunks), words=words,
                        dists=("sdgcore", "sdg-local", "tantivy", "rank-bm25",
                               "sentence-transformers"))
    print(f"results: {out}")


if __name__ == "__main__":
    sys.exit(main())
