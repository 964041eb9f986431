"""BM25 over a tantivy index on disk, usable with or without a run.

Text is split on non-alphanumeric characters, lower-cased, stripped of the language's stop words
and stemmed, by the same analyzer for passages and queries. A query becomes a disjunction of
term queries over its analyzed tokens, never a parsed query string, so quotes, colons,
parentheses and ``AND``/``OR`` in user or model text are just words (or nothing).

Tantivy scores with BM25 at ``k1 = 1.2``, ``b = 0.75``; its Python binding offers no way to
change them. Searching is thread-safe: the searcher is read-only and shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sdg_local import diversity, indexdir
from sdgcore import Hit, Passage

LANGUAGES = frozenset({"danish", "dutch", "english", "finnish", "french", "german", "hungarian",
                       "italian", "norwegian", "portuguese", "russian", "spanish", "swedish"})
"""Languages with both a stop-word list and a stemmer in tantivy."""
FORMAT = 1
"""Bumped whenever the on-disk layout or analysis changes, so old indexes are not reused."""
_ANALYZER = "sdg"
_MAX_TOKEN = 40
_HEAP = 64_000_000


def _analyzer(language: str) -> Any:
    import tantivy

    builder = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
               .filter(tantivy.Filter.remove_long(_MAX_TOKEN))
               .filter(tantivy.Filter.lowercase()))
    if language != "none":
        builder = (builder.filter(tantivy.Filter.stopword(language))
                   .filter(tantivy.Filter.stemmer(language)))
    return builder.build()


def _open(path: Path, language: str) -> Any:
    import tantivy

    index = tantivy.Index.open(str(path))
    index.register_tokenizer(_ANALYZER, _analyzer(language))
    return index


class BM25Index:
    """A tantivy index of passages; build or reopen it with :meth:`build`.

    :param path: the directory holding the index.
    :param passages: the passages it was built from, in indexing order.
    :param language: the analyzer's language (``none``: no stop words, no stemming).
    :param built: whether :meth:`build` indexed the passages (False: it reused the index).
    """

    def __init__(self, path: Path, passages: Sequence[Passage], language: str,
                 built: bool) -> None:
        self.path = path
        self.passages = list(passages)
        self.language = language
        self.built = built
        self._index = _open(path, language)
        self._schema = self._index.schema
        self._searcher = self._index.searcher()
        self._analyzer = _analyzer(language)

    @classmethod
    def build(cls, root: Path, passages: Sequence[Passage], *, language: str = "english",
              reuse: bool = True) -> BM25Index:
        """The index of ``passages`` under ``root / <fingerprint>``: reopened when a complete
        one is there (and ``reuse``), else built from scratch.

        :raises ValueError: two passages share an id, or ``language`` is unknown.
        """
        if language != "none" and language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        indexdir.check_unique_ids(passages)
        settings = {"kind": "bm25", "format": FORMAT, "language": language}
        path = Path(root) / indexdir.fingerprint(passages, settings)
        if reuse and indexdir.is_complete(path):
            return cls(path, passages, language, built=False)
        _write(path, passages, language)
        indexdir.finish(path, {**settings, "passages": len(passages)})
        return cls(path, passages, language, built=True)

    def analyze(self, text: str) -> list[str]:
        """The tokens the index holds for ``text`` (repeats included)."""
        return self._analyzer.analyze(text)

    def tokens(self, text: str) -> list[str]:
        """The distinct analyzed tokens of ``text``, in order of first appearance."""
        return list(dict.fromkeys(self.analyze(text)))

    def ranked(self, query: str, depth: int) -> list[Hit]:
        """Up to ``depth`` passages matching any token of ``query``, by BM25 score, raw (not
        de-duplicated); [] for a query with no searchable token."""
        import tantivy as tv

        tokens = self.tokens(query)
        if not tokens or depth <= 0 or not self.passages:
            return []
        terms = [(tv.Occur.Should, tv.Query.term_query(self._schema, "text", token))
                 for token in tokens]
        found = self._searcher.search(tv.Query.boolean_query(terms), limit=depth, count=False)
        if not found.hits:
            return []
        addresses = [address for _, address in found.hits]
        positions = self._searcher.fast_field_values("pos", addresses)
        return [Hit(self.passages[pos], float(score))
                for (score, _), pos in zip(found.hits, positions, strict=True)]

    def search(self, query: str, k: int) -> list[Hit]:
        """At most ``k`` hits for ``query``, best first, de-duplicated and spread across
        documents (see :func:`sdg_local.diversity.search`)."""
        return diversity.search_ranked(lambda depth: self.ranked(query, depth), k)


def _write(path: Path, passages: Sequence[Passage], language: str) -> None:
    import tantivy

    indexdir.start(path)
    schema = (tantivy.SchemaBuilder()
              .add_text_field("text", tokenizer_name=_ANALYZER, index_option="freq")
              .add_unsigned_field("pos", fast=True)
              .build())
    index = tantivy.Index(schema, path=str(path))
    index.register_tokenizer(_ANALYZER, _analyzer(language))
    writer = index.writer(heap_size=_HEAP, num_threads=1)
    for pos, passage in enumerate(passages):
        doc = tantivy.Document()
        doc.add_text("text", passage.text)
        doc.add_unsigned("pos", pos)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
