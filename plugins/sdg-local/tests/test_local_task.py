"""The local task end to end: real documents (a real PDF among them), real tantivy indexes, real
HTTP to the loopback server, whose fake teacher quotes a sentence of the excerpt it was given."""

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml

from sdg_local import plugin
from sdg_local.chunking import chunk_document
from sdg_local.corpus import SkippedDocument
from sdg_local.drafts import DUPLICATE
from sdg_local.ingest import load_documents
from sdg_local.keywords import PROMPT_CHARS
from sdg_local.prompts import ANSWER_FORMAT, leaks_context
from sdg_local.schedule import DIRECT_EVERY
from sdgcore import AnswerFormat, derive_seed
from sdgcore.config.values import Secret
from sdgcore.context import RunContext
from sdgcore.dedup import NearDuplicates
from sdgcore.errors import SdgError
from sdgcore.models import Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig
from sdgcore.records import Sample
from sdgcore.testing import structure
from sdgcore.testing.modules import load_path
from sdgcore.testing.replies import IncomingRequest
from sdgcore.testing.server import FakeOpenAIServer, Fault, Reply, Script

HERE = Path(__file__).parent


pdfs = load_path(HERE / "pdfs.py")

VOLCANOES = """# Volcanoes

A volcano is an opening in the crust through which molten rock escapes. Magma that reaches the
surface is called lava. Most volcanoes sit where tectonic plates meet.

## Shield volcanoes

Shield volcanoes are built almost entirely of fluid lava flows. Mauna Loa in Hawaii is the
largest shield volcano on Earth. Their slopes are gentle and broad.

## Stratovolcanoes

Stratovolcanoes erupt explosively because their viscous magma traps gas. Mount St. Helens
erupted in 1980. Volcanic ash from Eyjafjallajokull closed European airspace in 2010.
"""
BEES = """Honey bees live in colonies ruled by a single queen. A strong colony can hold sixty
thousand workers in summer. Drones are the male bees and do not sting.

Worker bees perform a waggle dance to share the direction of flowers. The angle of the dance
matches the angle of the sun. Karl von Frisch decoded the dance in the 1940s.

Bees turn nectar into honey by evaporation. A hive keeps its brood near thirty five degrees.
Beeswax is secreted from glands under the abdomen.
"""
RIVERS = """<html><head><title>Great rivers</title></head><body>
<h1>Great rivers</h1>
<p>The Nile flows north through eleven countries. Its waters reach the Mediterranean Sea near
Alexandria. The Aswan High Dam was completed in 1970.</p>
<h2>The Amazon</h2>
<p>The Amazon carries more water than any other river. Its basin covers seven million square
kilometres. Manaus lies where the Rio Negro joins it.</p>
</body></html>
"""
LIGHTHOUSES = [
    ("Lighthouses", [
        "The Pharos of Alexandria was one of the seven wonders. It stood for more than a "
        "thousand years. Earthquakes finally brought it down.",
        "Augustin Fresnel invented a lens that bends light into a beam. His lens made "
        "lighthouses visible from far out at sea. The first one was lit in 1823.",
    ]),
    ("Keepers", [
        "Keepers trimmed the wicks every night. Grace Darling rowed out to a wreck in 1838. "
        "Automation ended most keeping jobs by the 1990s.",
    ]),
]


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "volcanoes.md").write_text(VOLCANOES, encoding="utf-8")
    (folder / "bees.txt").write_text(BEES, encoding="utf-8")
    (folder / "rivers.html").write_text(RIVERS, encoding="utf-8")
    pdfs.write_pdf(folder / "lighthouses.pdf", LIGHTHOUSES, title="Lighthouses")
    return folder


CHUNKING = {"chunk_size": 40, "chunk_overlap": 0}
KEYWORDS = ["lava", "Honey bees", "magma", "lava", "Fresnel lens", "the Nile"]
_EXCERPT_1 = re.compile(r"Excerpt 1 \([^\n]*\):\n(.*?)\n\n(?:Excerpt 2 \(|Topic to lean|Write ONE)",
                        re.S)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_QUOTED = re.compile(r'sentence "(.*)"\?', re.S)


def kind(request) -> str:
    fmt = request.body.get("response_format")
    if fmt:
        props = fmt["json_schema"]["schema"]["properties"]
        for name in ("keywords", "answerable", "evidence"):
            if name in props:
                return name
        return "rewrite"
    return "solve" if request.model == "student-model" else "vote"


def logged(server) -> list[IncomingRequest]:
    """The server's request log, each request as a script sees it."""
    return [IncomingRequest(r.index, r.body) for r in server.requests if r.body is not None]


def last_word(sentence: str) -> str:
    return re.findall(r"\w+", sentence)[-1]


def grounded_reply(request) -> Reply:
    """A question quoting one sentence of excerpt 1 (chosen by the seed); its answer is the
    sentence's last word."""
    excerpt = _EXCERPT_1.search(request.last_user).group(1)
    sentences = [s for s in _SENTENCE.split(excerpt) if re.search(r"\w", s)]
    sentence = sentences[request.body["seed"] % len(sentences)]
    return Reply.json({"question": f'Which word ends the sentence "{sentence}"?',
                       "answer": last_word(sentence),
                       "reference": f"The sentence ends with <answer>{last_word(sentence)}"
                                    "</answer>.",
                       "evidence": sentence}, prompt_tokens=50, completion_tokens=20)


def teacher_script(keywords=KEYWORDS, judge=None, sample=grounded_reply):
    def answer(request):
        what = kind(request)
        if what == "keywords":
            return keywords if isinstance(keywords, Fault) else Reply.json(
                {"keywords": keywords})
        if what == "evidence":
            return sample(request)
        if what == "answerable":
            verdict = judge(request.last_user)
            return Reply.json({"answerable": verdict, "reason": f"judged {verdict}"},
                              prompt_tokens=30, completion_tokens=5)
        return Fault.server_error(400, f"unexpected {what} request")
    return Script.respond(answer)


def endpoint(server, role="teacher", model="teacher-model"):
    backend = OpenAICompatBackend(
        OpenAICompatConfig(api_base=server.url, api_key=Secret("sk-test")),
        EndpointCommon(model=model, limits=Limits(retries=0, timeout=10.0, reask=0)))
    return Endpoint(role, backend)


def make_run(make_plugin_manager, run_dir, server, paths, seed=0, **task):
    registry = make_plugin_manager(plugin).registry
    options = {"type": "local", "paths": [str(p) for p in paths], **CHUNKING, **task}
    config = structure({"task": options, "run": {"dir": str(run_dir), "seed": seed}}, registry)
    models = {"teacher": endpoint(server), "judge": endpoint(server, "judge", "judge-model")}
    return config.task.create(), RunContext(run_dir=run_dir, config=config, models=models)


def drive(task, ctx, limit=None, prepare_only=False):
    """Prepare ``task`` and take what it generates (up to ``limit``), closing everything."""
    async def go():
        out = []
        try:
            await task.prepare(ctx)
            if prepare_only:
                return out
            stream = task.generate(ctx)
            try:
                async for sample in stream:
                    out.append(sample)
                    if limit is not None and len(out) >= limit:
                        break
            finally:
                await stream.aclose()
        finally:
            for model in ctx.models.values():
                await model.aclose()
        return out
    return asyncio.run(go())


def real_chunks(paths):
    """Chunk id -> (chunk, the text of its document at its offsets), chunked independently."""
    docs, _ = load_documents([Path(p) for p in paths])
    out = {}
    for doc in docs:
        for chunk in chunk_document(doc, CHUNKING["chunk_size"], CHUNKING["chunk_overlap"]):
            out[chunk.id] = (chunk, doc.text[chunk.start:chunk.end])
    return out


def quoted(sample: Sample) -> str:
    return _QUOTED.search(sample.question).group(1)


def test_every_sample_is_grounded_in_the_chunks_its_lineage_names(make_plugin_manager,
                                                                   tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    chunks = real_chunks([corpus])
    with FakeOpenAIServer(teacher_script()) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                             samples_per_chunk=1)
        samples = drive(task, ctx)
        prompts = {r.body["seed"]: r.last_user for r in logged(server)
                   if kind(r) == "evidence"}
    assert len(samples) >= len(chunks) - 3  # a lone heading is never the subject
    assert task.counts["made"] == len(samples)
    for sample in samples:
        locator = sample.source.locator
        ids = locator["chunks"]
        assert 1 <= len(ids) <= 3 and len(set(ids)) == len(ids)
        assert set(ids) <= set(chunks), "the lineage names chunks that do not exist"
        texts = [chunks[i][0].text for i in ids]
        assert all(text == chunks[i][1] for i, text in zip(ids, texts, strict=True))
        assert sample.context == "\n\n".join(texts)
        sentence = quoted(sample)
        assert sentence in texts[0] and sample.evidence == sentence
        assert sample.meta["evidence_found"] is True
        focus = chunks[ids[0]][0]
        assert sample.source.kind == "document" and sample.source.ref == focus.path
        assert locator["docs"] == list(dict.fromkeys(chunks[i][0].path for i in ids))
        assert locator["pages"] == {i: [chunks[i][0].page_start, chunks[i][0].page_end]
                                    for i in ids}
        assert sample.answer is None and sample.gold == last_word(sentence)
        assert sample.reference.endswith(f"<answer>{last_word(sentence)}</answer>.")
        assert sample.answer_format == AnswerFormat(instruction=ANSWER_FORMAT)
        assert sample.scoring == {}
        assert set(sample.meta) == {"evidence_found"}
        assert sample.prompt().endswith(ANSWER_FORMAT)
        assert (sample.tokens.prompt, sample.tokens.completion) == (50, 20)
    # the teacher was shown those chunks, the focus as excerpt 1
    shown = {_EXCERPT_1.search(prompt).group(1) for prompt in prompts.values()}
    assert shown <= {chunk.text.strip() for chunk, _ in chunks.values()}
    assert {chunks[s.source.locator["chunks"][0]][0].text.strip() for s in samples} <= shown
    pdf_samples = [s for s in samples if s.source.ref.endswith("lighthouses.pdf")]
    assert pdf_samples and all(p >= 1 for s in pdf_samples
                               for span in s.source.locator["pages"].values() for p in span)


def test_coverage_spreads_over_every_document_and_chunk(make_plugin_manager, tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    chunks = real_chunks([corpus])
    docs = {chunk.path for chunk, _ in chunks.values()}
    with FakeOpenAIServer(teacher_script(keywords=["lava", "volcano", "magma"])) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                             samples_per_chunk=1, top_k=3)
        samples = drive(task, ctx)
        asked = server.count()
    focus = [s.source.locator["chunks"][0] for s in samples]
    # the keywords all point at one document; direct picks still reach every document early
    first = {chunks[f][0].path for f in focus[:DIRECT_EVERY * len(docs)]}
    assert first == docs
    # every chunk with something in it is the focus once, and only once, before the plans
    # run out; a lone heading is background only
    subjects = {i for i, (chunk, _) in chunks.items() if len(chunk.text.split()) >= 8}
    assert len(subjects) < len(chunks)
    assert asked == 1 + len(subjects)
    assert len(set(focus)) == len(focus) and set(focus) <= subjects
    assert len(focus) >= len(subjects) - 2
    report = json.loads((tmp_path / "run" / "task-local" / "generation.json").read_text())
    assert report["chunks"] == {"total": len(chunks), "focus": len(subjects)}
    assert report["documents"] == {"total": len(docs), "focus": len(docs)}


def test_keywords_are_extracted_once_merged_with_domain_and_reused(make_plugin_manager,
                                                                   tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    domain = ["Volcanoes", "LAVA", "volcanoes"]
    with FakeOpenAIServer(teacher_script()) as server:
        def keyword_requests():
            return [r for r in logged(server) if kind(r) == "keywords"]

        task, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                             domain=domain, keywords=5)
        first = drive(task, ctx, limit=4)
        [request] = keyword_requests()
        saved = json.loads((tmp_path / "run" / "task-local" / "keywords.json").read_text())
        # a resume: a new task on the same run directory asks nothing again, makes the same
        again, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                              domain=domain, keywords=5)
        second = drive(again, ctx, limit=4)
        assert len(keyword_requests()) == 1
        assert again.retriever.index.built is False  # the tantivy index is reopened
        changed, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                                domain=["rivers"], keywords=5)
        drive(changed, ctx, prepare_only=True)  # other inputs: asked again
        assert len(keyword_requests()) == 2
    assert saved["keywords"] == ["Volcanoes", "LAVA", "Honey bees", "magma", "Fresnel lens",
                                 "the Nile"]
    assert saved["extracted"] == ["lava", "Honey bees", "magma", "Fresnel lens", "the Nile"]
    assert saved["source"] == "teacher" and saved["error"] is None
    assert again.keywords.terms == tuple(saved["keywords"])
    assert [s.to_dict() for s in second] == [s.to_dict() for s in first]
    prompt = request.last_user
    assert request.body["temperature"] == 0.0
    assert request.body["seed"] == derive_seed(0, "local", "keywords")
    assert "up to 5 keywords" in prompt and "Volcanoes, LAVA" in prompt
    assert len(prompt) < PROMPT_CHARS + 2000
    # the excerpts come from every document
    flat_prompt = " ".join(prompt.split())
    by_doc = {}
    for chunk, _ in real_chunks([corpus]).values():
        by_doc.setdefault(chunk.path, []).append(" ".join(chunk.text.split())[:80])
    assert len(by_doc) == 4
    for path, starts in by_doc.items():
        assert any(start in flat_prompt for start in starts), path
    # the keywords are queries: the first plan asks about the first one
    sample_prompts = [r.last_user for r in logged(server) if kind(r) == "evidence"]
    assert any("Topic to lean towards, if excerpt 1 allows: Volcanoes" in p
               for p in sample_prompts)


def test_a_failed_keyword_request_falls_back_and_zero_keywords_asks_nothing(
        make_plugin_manager, tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    with FakeOpenAIServer(teacher_script(keywords=Fault.server_error(503))) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path / "one", server, [corpus],
                             domain=["geology"], keywords=6)
        samples = drive(task, ctx, limit=2)
        saved = json.loads((tmp_path / "one" / "task-local" / "keywords.json").read_text())
        task, ctx = make_run(make_plugin_manager, tmp_path / "two", server, [corpus],
                             domain=["geology"], keywords=0)
        drive(task, ctx, prepare_only=True)
        asked = [kind(r) for r in logged(server)]
    assert len(samples) == 2
    assert saved["source"] == "fallback" and "HTTP 503" in saved["error"]
    assert saved["keywords"][0] == "geology" and len(saved["extracted"]) == 6
    assert "Lighthouses" in saved["extracted"]  # a heading
    assert asked.count("keywords") == 1
    assert task.keywords.terms == ("geology",) and task.keywords.source == "domain"


def test_corrupt_files_are_skipped_and_reported_and_the_run_goes_on(make_plugin_manager,
                                                                    tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    pdfs.write_garbage_pdf(corpus / "broken.pdf")
    pdfs.write_encrypted_pdf(corpus / "secret.pdf")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    missing = tmp_path / "nowhere"
    with FakeOpenAIServer(teacher_script()) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus, missing])
        with pytest.warns(SkippedDocument) as caught:
            samples = drive(task, ctx, limit=3)
    warned = "\n".join(str(w.message) for w in caught)
    skipped = json.loads((tmp_path / "run" / "task-local" / "skipped.json").read_text())
    reasons = {Path(s["path"]).name: s["reason"] for s in skipped}
    assert set(reasons) == {"broken.pdf", "secret.pdf", "image.png", "nowhere"}
    assert "encrypted" in reasons["secret.pdf"] and "no such file" in reasons["nowhere"]
    for name, reason in reasons.items():
        assert f"{name}: {reason}" in warned
    assert len(samples) == 3
    documents = json.loads((tmp_path / "run" / "task-local" / "documents.json").read_text())
    assert sorted(Path(d["path"]).name for d in documents) == [
        "bees.txt", "lighthouses.pdf", "rivers.html", "volcanoes.md"]
    assert all(d["chunks"] > 0 for d in documents)


def test_no_usable_document_is_a_clear_error(make_plugin_manager, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    pdfs.write_garbage_pdf(folder / "broken.pdf")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    with FakeOpenAIServer(teacher_script()) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [folder])
        with pytest.warns(SkippedDocument), pytest.raises(SdgError) as info:
            drive(task, ctx, prepare_only=True)
        assert server.count() == 0
    message = info.value.message
    assert info.value.exit_code == 2
    assert message.startswith(f"task.paths: no usable document in {folder}")
    assert "broken.pdf" in message and "empty.txt: empty" in message


def test_the_answerable_check_drops_what_the_judge_rejects(make_plugin_manager, tmp_path):
    corpus = write_corpus(tmp_path / "docs")

    def judge(prompt):
        return "bee" not in prompt.split("Question:")[1].lower()

    with FakeOpenAIServer(teacher_script(judge=judge)) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus],
                             check_answerable=True, samples_per_chunk=1)
        samples = drive(task, ctx)
        checks = [r for r in logged(server) if kind(r) == "answerable"]
    assert samples and task.counts["unanswerable"] > 0
    assert all("bee" not in s.question.lower() for s in samples)
    assert all(s.meta["answerable"] is True and s.meta["answerable_reason"] == "judged True"
               for s in samples)
    assert all(r.model == "judge-model" and r.body["temperature"] == 0.0 for r in checks)
    assert any(s.context in r.last_user for s in samples for r in checks)
    assert (samples[0].tokens.prompt, samples[0].tokens.completion) == (80, 25)
    assert len(checks) == task.counts["made"] + task.counts["unanswerable"] \
        + task.counts["duplicate"]


def test_bad_drafts_are_rejected_and_counted(make_plugin_manager, tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    bad = {0: {"question": "According to the passage, what erupted?", "answer": "a volcano"},
           1: {"question": "What happened to the lava?", "answer": " ".join(["word"] * 20)},
           2: {"question": "   ", "answer": "x"},
           3: Fault.server_error(500),
           4: {"question": "Excerpt 1", "answer": "lava"},
           5: {"question": "What does excerpt 2 say erupted?", "answer": "lava"},
           6: {"question": "The Same Subject Continued", "answer": "continued"},
           7: {"question": "Name the largest shield volcano", "answer": "name the largest "
                                                                   "shield volcano."}}
    index = {derive_seed(0, "local", i): i for i in range(200)}

    def sample(request):
        item = bad.get(index[request.body["seed"]])
        if isinstance(item, Fault):
            return item
        if item is not None:
            return Reply.json({**item, "reference": "r", "evidence": "e"})
        return grounded_reply(request)

    with FakeOpenAIServer(teacher_script(sample=sample)) as server:
        task, ctx = make_run(make_plugin_manager, tmp_path / "run", server, [corpus])
        samples = drive(task, ctx, limit=2)
    assert task.counts["leaky"] == 2 and task.counts["long_answer"] == 1
    assert task.counts["short"] == 1 and task.counts["not_a_question"] == 2
    assert task.counts["empty"] == 1 and task.counts["failed"] == 1
    assert [s.source.locator["chunks"][0] for s in samples] != []
    assert leaks_context("What does the text above say about bees?")
    assert leaks_context("Based on the given context, who built it?")
    assert not leaks_context("What does the Federalist say about the Union?")
    seen = NearDuplicates(DUPLICATE)
    seen.add("Which word ends the sentence about bees?")
    assert seen.is_duplicate("which word ends the sentence about  bees ?")
    assert not seen.is_duplicate("Which word ends the sentence about rivers?")


def test_sdg_run_makes_categorised_samples_that_keep_their_lineage(sdg_cli, make_plugin_manager,
                                                                   tmp_path, monkeypatch):
    from sdg_rewriters import plugin as rewriters
    from sdg_voting import plugin as voting

    write_corpus(tmp_path / "docs")
    monkeypatch.chdir(tmp_path)  # task.paths is relative to the current directory

    def quote_of(text):
        return _QUOTED.search(text).group(1)

    skills = {}

    def answer(request):
        what = kind(request)
        if what == "vote":
            word = last_word(quote_of(request.last_user))
            return [Reply(f"It ends with <answer>{word}</answer>")] * request.n
        if what == "solve":
            word = last_word(quote_of(request.last_user))
            # questions in turn: always right, half right, never right
            skill = skills.setdefault(request.last_user, len(skills) % 3)
            right = {0: request.n, 1: request.n // 2, 2: 0}[skill]
            return ([Reply(f"<answer>{word}</answer>")] * right
                    + [Reply("<answer>nothing</answer>")] * (request.n - right))
        return teacher_script().answer(request)

    remote = {"backend": "openai_compat", "api_base": None,
              "limits": {"retries": 0, "timeout": 10}}
    with FakeOpenAIServer(Script.respond(answer)) as server:
        remote["api_base"] = server.url
        config = {
            "run": {"dir": "run", "seed": 3},
            "models": {"teacher": {**remote, "model": "teacher-model"},
                       "judge": {**remote, "model": "teacher-model"},
                       "student": {**remote, "model": "student-model"}},
            "task": {"type": "local", "paths": ["docs"], **CHUNKING, "keywords": 4},
            "voter": {"type": "exact", "k": 3},
            "solve": {"n": 4},
            "rewrite": {"type": "difficulty", "max_rounds": 0},
            "target": {"learnable": 3, "batch": 6},
        }
        (tmp_path / "local.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        manager = make_plugin_manager(plugin, voting, rewriters)
        result = sdg_cli(["run", "local.yaml"], manager=manager)
        assert result.exit_code == 0, result.output
    chunks = real_chunks([tmp_path / "docs"])
    run_dir = tmp_path / "run"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["counts"]["learnable"] >= 3
    found = {}
    for category in ("learnable", "too_easy", "too_hard"):
        found[category] = [Sample.from_json(line) for line in
                           (run_dir / f"{category}.jsonl").read_text().splitlines()]
    assert all(found.values()), {k: len(v) for k, v in found.items()}
    for category, samples in found.items():
        for sample in samples:
            assert sample.category == category and sample.task == "local"
            ids = sample.source.locator["chunks"]
            assert set(ids) <= set(chunks)
            assert sample.context == "\n\n".join(chunks[i][0].text for i in ids)
            assert quote_of(sample.question) in chunks[ids[0]][0].text
            assert sample.source.ref == str(Path("docs") / Path(chunks[ids[0]][0].path).name)
            assert sample.answer == last_word(quote_of(sample.question))
            assert len(sample.attempts) == 4


def test_keyword_excerpts_spread_over_documents_within_the_budget():
    from sdg_local.chunking import Chunk
    from sdg_local.keywords import fallback_terms, merge, representative

    def chunk(doc, i, heading=None):
        text = f"Paragraph {i} of document {doc} about harbour pilots and their tugboats. " * 3
        return Chunk(f"{doc}:{i}", f"d{doc}", f"{doc}.txt", i, text, 0, len(text), 1, 1, heading)

    many_docs = [chunk(d, 0) for d in range(40)]
    picked = representative(many_docs, budget=6000)
    assert 1 < len(picked) <= 6000 // 600
    assert [c.doc_id for c in picked] == sorted({c.doc_id for c in picked}, key=lambda d:
                                                int(d[1:]))
    assert picked[0].doc_id == "d0" and int(picked[-1].doc_id[1:]) > 30  # the whole range
    one_long = [chunk(0, i) for i in range(100)]
    picked = representative(one_long, budget=6000)
    assert [c.index for c in picked][:3] == [0, 11, 22] and picked[-1].index > 80
    assert merge(["Pilots", " harbour  pilots "], ["pilots", "Tugboats", ""]) == [
        "Pilots", "harbour pilots", "Tugboats"]
    terms = fallback_terms([chunk(0, 0, "Harbour safety"), chunk(1, 1)], 4)
    assert terms[0] == "Harbour safety" and "harbour" in terms and "about" not in terms
