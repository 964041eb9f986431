"""The bm25, embedding and hybrid retrievers on a small real corpus: real tantivy indexes on
disk, the real all-MiniLM-L6-v2 model, no network."""

import math
import sys
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

import sdgcore.testing.components
from sdg_local import diversity, indexdir
from sdg_local.bm25 import BM25Index
from sdg_local.hybrid import rrf
from sdg_local.retrievers import (
    BM25Config,
    BM25Retriever,
    EmbeddingConfig,
    EmbeddingRetriever,
    HybridConfig,
    HybridRetriever,
)
from sdgcore import Hit, Passage, hookimpl
from sdgcore.context import RunContext
from sdgcore.errors import MissingExtraError
from sdgcore.plugins import create_plugin_manager
from sdgcore.testing import structure

DOCS = {
    "volcanoes": [
        "A volcano is an opening in the crust of a planet through which molten rock, ash and "
        "gases escape from a magma chamber below the surface.",
        "Shield volcanoes such as Mauna Loa are built almost entirely of fluid lava flows and "
        "have gentle, broad slopes.",
        "Stratovolcanoes erupt explosively because their viscous magma traps gas; Mount St. "
        "Helens is a stratovolcano that erupted in 1980.",
        "Volcanic ash can ground aircraft: the 2010 eruption of Eyjafjallajokull closed much of "
        "European airspace for days.",
    ],
    "bees": [
        "Honeybees live in colonies ruled by a single queen, who lays all the eggs, while "
        "sterile female workers gather nectar and pollen.",
        "A forager bee tells her sisters where flowers are by performing a waggle dance on the "
        "comb; the angle of the dance gives the direction relative to the sun.",
        "Bees turn nectar into honey by adding enzymes and fanning it with their wings until "
        "most of the water evaporates.",
    ],
    "cars": [
        "A car engine burns petrol in its cylinders; the expanding gas pushes the pistons, "
        "which turn the crankshaft and, through the gearbox, the wheels.",
        "Electric cars store energy in a battery pack and drive the wheels with electric "
        "motors, so they need no gearbox with many ratios.",
        "Anti-lock brakes keep the wheels of a braking car from locking, so the driver can "
        "still steer during an emergency stop.",
    ],
    "bread": [
        "Bread rises because yeast ferments sugars in the dough and releases carbon dioxide, "
        "which the gluten network traps in small bubbles.",
        "Sourdough uses a starter of wild yeast and lactic acid bacteria instead of baker's "
        "yeast, which gives the loaf its sour taste.",
        "Kneading develops gluten, the elastic protein network that lets dough stretch and "
        "hold its shape in the oven.",
    ],
    "networks": [
        "TCP guarantees that bytes arrive in order and without loss by numbering segments and "
        "retransmitting those the receiver does not acknowledge.",
        "UDP sends datagrams with no handshake and no retransmission, which suits live video "
        "and games where late data is useless.",
        "DNS translates human-readable domain names into the IP addresses that routers use to "
        "deliver packets.",
    ],
    "paris": [
        "Café culture in Paris grew in the eighteenth century, when coffee houses became "
        "meeting places for writers and philosophers.",
    ],
}
PASSAGES = [Passage(f"{doc}-{i}", text, {"doc": doc})
            for doc, texts in DOCS.items() for i, text in enumerate(texts)]
HOSTILE = ['AND OR:("', "", "   ", "the and of", '"unterminated', "title:volcano^3 AND -bees",
           "((((", "*?~", "\x00\x01", "东京 café naïve 🐝", "a" * 5000, "NOT", "{[<>]}",
           "volcano " * 300]


def make_ctx(run_dir):
    registry = create_plugin_manager(plugins=[sdgcore.testing.components]).registry
    config = structure({"task": {"type": "list", "questions": ["q"]},
                        "run": {"dir": str(run_dir)}}, registry)
    return RunContext(run_dir=run_dir, config=config, models={})


@pytest.fixture
def ctx(tmp_path):
    return make_ctx(tmp_path)


@pytest.fixture(scope="module")
def bm25(tmp_path_factory):
    return BM25Index.build(tmp_path_factory.mktemp("bm25"), PASSAGES)


@pytest.fixture(scope="module")
def embedding(tmp_path_factory):
    retriever = EmbeddingRetriever(EmbeddingConfig())
    retriever.build(make_ctx(tmp_path_factory.mktemp("run")), PASSAGES)
    return retriever


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory):
    retriever = HybridRetriever(HybridConfig())
    retriever.build(make_ctx(tmp_path_factory.mktemp("run")), PASSAGES)
    return retriever


def ids(hits):
    return [hit.passage.id for hit in hits]


# bm25

@pytest.mark.parametrize(("query", "expected"), [
    ("How do bees tell each other where the flowers are?", "bees-1"),
    ("Why does bread dough rise?", "bread-0"),
    ("retransmitting lost TCP segments", "networks-0"),
    ("stratovolcano explosive eruption", "volcanoes-2"),
    ("domain names to IP addresses", "networks-2"),
])
def test_bm25_ranks_the_relevant_passage_first(bm25, query, expected):
    hits = bm25.search(query, 3)
    assert hits[0].passage.id == expected
    assert all(a.score >= b.score > 0 for a, b in zip(hits, hits[1:], strict=False))


def test_bm25_stems_and_ignores_case_and_punctuation(bm25):
    assert bm25.search("ERUPTED!!! Stratovolcanoes???", 1)[0].passage.id == "volcanoes-2"
    assert ids(bm25.search("kneaded", 1)) == ["bread-2"]
    assert ids(bm25.search("CAFÉ", 1)) == ["paris-0"]


@pytest.mark.parametrize("query", HOSTILE)
def test_bm25_hostile_queries_do_not_crash(bm25, query):
    hits = bm25.search(query, 5)
    assert len(hits) <= 5 and all(isinstance(hit, Hit) for hit in hits)


def test_bm25_empty_and_stopword_only_queries_find_nothing(bm25):
    for query in ("", "   ", "the and of", 'AND OR:("', "((((", "*?~"):
        assert bm25.search(query, 5) == []
    assert bm25.search("volcano", 0) == []


def test_bm25_query_syntax_is_just_words(bm25):
    hits = bm25.search('title:"honey" AND -bees OR nectar^5', 3)
    assert hits and all(hit.passage.meta["doc"] == "bees" for hit in hits)


def test_bm25_score_is_the_bm25_score(bm25):
    """One matching term: idf * tf-saturation with tantivy's k1 = 1.2, b = 0.75."""
    (hit,) = bm25.search("sourdough", 5)
    n, df = len(PASSAGES), 1
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    # field lengths count the tokens left after stop-word removal, repeats included
    lengths = [len(bm25.analyze(p.text)) for p in PASSAGES]
    own = len(bm25.analyze(hit.passage.text))
    avg = sum(lengths) / n
    tf_part = 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * own / avg))
    assert hit.passage.id == "bread-1"
    assert hit.score == pytest.approx(idf * tf_part, rel=0.05)


def test_bm25_search_is_thread_safe(bm25):
    queries = [q for texts in DOCS.values() for q in texts] * 4
    serial = [ids(bm25.search(q, 4)) for q in queries]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda q: ids(bm25.search(q, 4)), queries))
    assert parallel == serial


def test_bm25_empty_corpus(tmp_path):
    index = BM25Index.build(tmp_path, [])
    assert index.search("volcano", 3) == []


def test_duplicate_ids_are_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"passages\[1\]: id 'x'"):
        BM25Index.build(tmp_path, [Passage("x", "one"), Passage("x", "two")])


# the index on disk

def test_index_is_built_once_and_reused(ctx):
    first = BM25Retriever(BM25Config())
    first.build(ctx, PASSAGES)
    assert first.index.built
    path = first.index.path
    assert path.parent == ctx.run_dir / "retriever-bm25"
    stamp = {p.name: p.stat().st_mtime_ns for p in path.iterdir()}
    second = BM25Retriever(BM25Config())
    second.build(ctx, PASSAGES)
    assert not second.index.built and second.index.path == path
    assert {p.name: p.stat().st_mtime_ns for p in path.iterdir()} == stamp
    assert ids(second.search("waggle dance", 2)) == ids(first.search("waggle dance", 2))


def test_index_without_marker_is_rebuilt(ctx):
    first = BM25Retriever(BM25Config())
    first.build(ctx, PASSAGES)
    path = first.index.path
    (path / indexdir.MARKER).unlink()  # as if the build crashed before finishing
    (path / "leftover.tmp").write_text("half-written segment")
    again = BM25Retriever(BM25Config())
    again.build(ctx, PASSAGES)
    assert again.index.built and again.index.path == path
    assert (path / indexdir.MARKER).is_file() and not (path / "leftover.tmp").exists()
    assert ids(again.search("waggle dance", 1)) == ["bees-1"]


def test_changed_passages_or_config_get_a_new_index(ctx):
    base = BM25Retriever(BM25Config())
    base.build(ctx, PASSAGES)
    changed = [*PASSAGES[:-1], attrs.evolve(PASSAGES[-1], text="Tea houses in London.")]
    other = BM25Retriever(BM25Config())
    other.build(ctx, changed)
    assert other.index.built and other.index.path != base.index.path
    assert other.search("café", 3) == [] and ids(other.search("tea", 1)) == ["paris-0"]
    plain = BM25Retriever(BM25Config(language="none"))
    plain.build(ctx, PASSAGES)
    assert plain.index.built and plain.index.path not in (base.index.path, other.index.path)
    assert plain.search("kneaded", 1) == []  # no stemming
    assert ids(plain.search("the waggle", 1)) == ["bees-1"]


def test_search_before_build_is_an_error():
    with pytest.raises(RuntimeError, match="'bm25': search called before build"):
        BM25Retriever(BM25Config()).search("volcano", 3)


# dedup and diversity

def test_duplicates_are_dropped(tmp_path):
    text = "Lava from shield volcanoes flows far before it cools."
    passages = [Passage("a", text, {"doc": "d1"}),
                Passage("b", text, {"doc": "d2"}),
                Passage("c", "  LAVA from shield-volcanoes flows far, before it cools!",
                        {"doc": "d3"}),
                Passage("d", "Lava lakes glow at night.", {"doc": "d4"})]
    hits = BM25Index.build(tmp_path, passages).search("lava shield", 5)
    assert len(hits) == 2 and hits[0].passage.id in {"a", "b", "c"}
    assert hits[1].passage.id == "d"


def test_one_document_takes_at_most_half_while_others_have_hits(tmp_path):
    long_doc = [Passage(f"v{i}", f"Volcano report {i}: the volcano erupted, volcano ash fell.",
                        {"doc": "big"}) for i in range(8)]
    others = [Passage("o1", "A volcano appears once in this travel note.", {"doc": "n1"}),
              Passage("o2", "Our guide mentioned a volcano near the town.", {"doc": "n2"}),
              Passage("o3", "Nothing about mountains here.", {"doc": "n3"})]
    index = BM25Index.build(tmp_path, long_doc + others)
    hits = index.search("volcano", 4)
    docs = [hit.passage.meta["doc"] for hit in hits]
    assert docs.count("big") == 2 and {"n1", "n2"} <= set(docs)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    # once the other documents run out, the rest come from the big one
    hits = index.search("volcano", 6)
    assert [hit.passage.meta["doc"] for hit in hits].count("big") == 4
    # a document with nothing else matching fills every slot
    assert len(index.search("erupted ash", 5)) == 5


def test_select_rule():
    def hit(pid, doc, score):
        return Hit(Passage(pid, f"text {pid}", {"doc": doc} if doc else {}), score)

    ranked = [hit("a1", "A", 9), hit("a2", "A", 8), hit("a3", "A", 7), hit("b1", "B", 6),
              hit("x", None, 5), hit("y", None, 4)]
    assert ids(diversity.select(ranked, 3)) == ["a1", "a2", "b1"]
    assert ids(diversity.select(ranked, 4)) == ["a1", "a2", "b1", "x"]
    assert ids(diversity.select(ranked[:3], 3)) == ["a1", "a2", "a3"]
    assert diversity.select(ranked, 0) == []
    # a copy held back by the cap gives way to a later copy from another document
    copy = [hit("a1", "A", 9), hit("a2", "A", 8), hit("a3", "A", 7),
            Hit(Passage("b1", "text a3", {"doc": "B"}), 6)]
    assert ids(diversity.select(copy, 4)) == ["a1", "a2", "b1"]
    assert ids(diversity.select(copy[:3] + [hit("a4", "A", 1)], 3)) == ["a1", "a2", "a3"]
    assert diversity.normalise("  Hello,   WORLD!_") == "hello world"


def test_search_asks_deeper_when_duplicates_fill_the_window():
    same = [Hit(Passage(f"d{i}", "Same text.", {"doc": f"doc{i}"}), 10.0) for i in range(100)]
    distinct = [Hit(Passage(f"u{i}", f"Unique {i}.", {"doc": f"u{i}"}), 1.0) for i in range(5)]
    ranked = same + distinct
    asked = []

    def fetch(depth):
        asked.append(depth)
        return ranked[:depth], depth >= len(ranked)

    hits = diversity.search(fetch, 3)
    assert ids(hits) == ["d0", "u0", "u1"] and asked == [19, 76, 304]


# embedding

def test_embedding_finds_what_bm25_misses(embedding, bm25):
    query = "How does an automobile motor work?"
    assert "cars-0" not in ids(bm25.search(query, 3))
    assert embedding.search(query, 1)[0].passage.id in {"cars-0", "cars-1"}
    hits = embedding.search("insects that make a sweet food", 3)
    assert hits[0].passage.meta["doc"] == "bees"
    assert all(-1.0 <= hit.score <= 1.0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


@pytest.mark.parametrize("query", ['AND OR:("', "", "   ", "\x00\x01", "东京 café naïve 🐝",
                                   "a" * 5000])
def test_embedding_hostile_queries_do_not_crash(embedding, query):
    hits = embedding.search(query, 3)
    assert len(hits) <= 3
    if not query.strip():
        assert hits == []


def test_hybrid_search_is_thread_safe(hybrid):
    """Both halves at once: the shared tantivy searcher and the shared embedding model."""
    queries = ["volcano ash", "honey bees", "car engine", "bread yeast"] * 2
    serial = [ids(hybrid.search(q, 3)) for q in queries]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda q: ids(hybrid.search(q, 3)), queries)) == serial


def test_embedding_matrix_is_cached(embedding):
    index = embedding.index
    assert index.built and index.path.suffix == ".npy"
    assert index.matrix.shape[0] == len(PASSAGES)
    again = EmbeddingRetriever(EmbeddingConfig())
    mtime = index.path.stat().st_mtime_ns
    again.build(make_ctx(index.path.parent.parent), PASSAGES)
    assert not again.index.built and again.index.path == index.path
    assert index.path.stat().st_mtime_ns == mtime
    assert ids(again.search("bread rising", 2)) == ids(embedding.search("bread rising", 2))
    index.path.write_bytes(b"not a numpy file")  # damaged: embedded again
    damaged = EmbeddingRetriever(EmbeddingConfig())
    damaged.build(make_ctx(index.path.parent.parent), PASSAGES)
    assert damaged.index.built and damaged.index.matrix.shape == index.matrix.shape


def test_embedding_needs_its_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    for cls, config in ((EmbeddingRetriever, EmbeddingConfig()), (HybridRetriever,
                                                                    HybridConfig())):
        with pytest.raises(MissingExtraError) as info:
            cls(config)
        assert info.value.hint == "pip install 'sdg-local[embedding]'"
        assert repr(cls.name) in info.value.message


# hybrid

def test_rrf():
    def hits(*pids):
        return [Hit(Passage(p, p), 0.0) for p in pids]

    fused = rrf([hits("a", "b", "c"), hits("c", "a", "a", "d")], rrf_k=10)
    assert ids(fused) == ["a", "c", "b", "d"]
    assert fused[0].score == pytest.approx(1 / 11 + 1 / 12)
    assert fused[3].score == pytest.approx(1 / 13)  # the repeated "a" does not push d down
    assert rrf([], rrf_k=10) == []


def test_hybrid_fuses_both(hybrid, bm25):
    # lexical and semantic agree
    assert hybrid.search("Why does bread dough rise?", 1)[0].passage.id == "bread-0"
    # only the embedding half finds it
    assert hybrid.search("How does an automobile motor work?", 3)[0].passage.meta["doc"] == "cars"
    # only bm25 matches this rare token exactly; fused, it still comes first
    assert hybrid.search("Eyjafjallajokull", 3)[0].passage.id == "volcanoes-3"
    hits = hybrid.search("volcanic eruption", 4)
    assert all(hit.score <= 2 / (60 + 1) for hit in hits)
    assert len({hit.passage.id for hit in hits}) == len(hits) == 4
    assert hybrid.search("", 3) == []


def test_hybrid_keeps_each_half_in_its_own_directory(hybrid):
    assert hybrid.bm25.index.path.parent.name == "retriever-bm25"
    assert hybrid.embedding.index.path.parent.name == "retriever-embedding"


# configs

def test_configs_structure_from_yaml_shapes(make_plugin_manager):
    """Through the converter the core uses for ``task.retriever`` sections."""
    from sdgcore.config.converter import converter_for
    from sdgcore.config.problems import ConfigProblem, collect_problems
    from sdgcore.config.values import RetrieverChoice

    class Retrievers:
        @hookimpl
        def sdg_register_retrievers(self, register):
            for cls in (BM25Retriever, EmbeddingRetriever, HybridRetriever):
                register(cls)

    registry = make_plugin_manager(Retrievers()).registry
    conv = converter_for(registry)
    choice = conv.structure({"type": "hybrid", "rrf_k": 10, "bm25": {"language": "none"}},
                            RetrieverChoice)
    assert choice.config == HybridConfig(rrf_k=10, bm25=BM25Config(language="none"))
    assert isinstance(choice.create(), HybridRetriever)
    for section, problem in [
        ({"type": "bm25", "language": "klingon"},
         ("", "'language' must be none or one of danish, dutch, english,")),
        ({"type": "bm25", "k1": 1.5}, ("k1", "unknown key for retriever 'bm25'")),
        ({"type": "hybrid", "bm25": {"k1": 1.5}}, ("bm25.k1", "unknown key")),
        ({"type": "hybrid", "embedding": {"batch_size": 0}},
         ("embedding", "'batch_size' must be >= 1: 0")),
    ]:
        with pytest.raises(ConfigProblem) as info:
            conv.structure(section, RetrieverChoice)
        ((path, message),) = collect_problems(info.value)
        assert path == problem[0] and message.startswith(problem[1])
