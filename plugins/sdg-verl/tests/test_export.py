"""The verl export: files that load with pyarrow and ``datasets``, schemas field by field, a
seeded stratified split, ``select.band`` and ``weight: learnability``, what is left out."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sdg_verl.export import RunFacts, export, repeats, split
from sdg_verl.handoff import datasets_of
from sdg_verl.plugin import Select, VerlConfig
from sdgcore import AnswerFormat, Sample, Source

FACTS = RunFacts(seed=7, student={"model": "student-model", "n": 4, "temperature": 0.5},
                 equivalence={"tolerance": 1e-6, "abs_tolerance": 1e-9, "symbolic": True})


def sample(i: int, category: str, pass_rate: float, **kw) -> Sample:
    return Sample(task="list", question=f"Q{i}?", reference=f"work {i} <answer>{i}</answer>",
                  answer=str(i), pass_rate=pass_rate, category=category,
                  source=Source(kind="test", ref=str(i)), **kw)


def write_run(run_dir: Path, samples: list[Sample]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("learnable", "too_easy", "too_hard"):
        rows = [s.to_json() + "\n" for s in samples if s.category == name]
        (run_dir / f"{name}.jsonl").write_text("".join(rows))
    return run_dir


def mixed() -> list[Sample]:
    learnable = [sample(i, "learnable", [0.25, 0.5, 0.75][i % 3]) for i in range(20)]
    easy = [sample(100 + i, "too_easy", 1.0) for i in range(10)]
    hard = [sample(200 + i, "too_hard", 0.0) for i in range(10)]
    return learnable + easy + hard


def grpo(**kw) -> VerlConfig:
    return VerlConfig(mode="grpo", model="m", **kw)


def test_grpo_files_have_verls_rl_layout_field_by_field(tmp_path):
    import datasets

    run = write_run(tmp_path / "run", [
        sample(1, "learnable", 0.5, context="Some text.",
               answer_format=AnswerFormat(tag="final")),
        *[sample(i, "learnable", 0.25) for i in range(2, 12)],
    ])
    cfg = grpo(system_prompt="Be brief.", val_fraction=0.2)
    result = export(datasets_of(run), cfg, FACTS, run / "verl")
    assert result.files == {"train": run / "verl" / "grpo_train.parquet",
                            "val": run / "verl" / "grpo_val.parquet"}
    rows = pq.read_table(result.files["train"]).to_pylist()
    rows += pq.read_table(result.files["val"]).to_pylist()
    assert len(rows) == 11
    [row] = [r for r in rows if r["extra_info"]["answer_tag"] == "final"]
    first = sample(1, "learnable", 0.5, context="Some text.",
                   answer_format=AnswerFormat(tag="final"))
    assert row["data_source"] == "sdg/list"
    assert row["prompt"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Context:\nSome text.\n\nQuestion: Q1?\n\n"
                                    "End your reply with the final answer alone, as "
                                    "<final>...</final>."}]
    assert row["prompt"][1]["content"] == first.prompt()
    assert row["ability"] == "list"
    assert row["reward_model"] == {"style": "rule", "ground_truth": "1"}
    extra = row["extra_info"]
    assert extra["split"] in ("train", "val") and extra["sample_id"] == first.id
    assert extra["pass_rate"] == 0.5 and extra["category"] == "learnable"
    assert extra["learnability"] == 0.25
    assert extra["student"] == {"model": "student-model", "n": 4, "temperature": 0.5}
    assert extra["format_reward"] == 0.0
    assert extra["equivalence"] == {"tolerance": 1e-6, "abs_tolerance": 1e-9, "symbolic": True}
    train = pq.read_table(result.files["train"]).to_pylist()
    assert [r["extra_info"]["index"] for r in train] == list(range(len(train)))
    assert {r["extra_info"]["split"] for r in train} == {"train"}

    schema = pq.read_schema(result.files["train"])
    chat = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    assert schema.names == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    assert schema.field("prompt").type == chat
    assert [f.name for f in schema.field("extra_info").type] == [
        "index", "split", "sample_id", "pass_rate", "category", "learnability", "student",
        "answer_tag", "format_reward", "equivalence"]

    loaded = datasets.load_dataset("parquet", data_files={
        name: str(path) for name, path in result.files.items()})
    assert loaded["train"].num_rows + loaded["val"].num_rows == 11
    assert set(loaded["train"].column_names) == set(schema.names)
    first_row = loaded["train"][0]
    assert first_row["prompt"][-1]["role"] == "user"
    assert first_row["reward_model"]["style"] == "rule"
    assert isinstance(first_row["extra_info"]["student"], dict)


def test_sft_files_hold_one_messages_column(tmp_path):
    import datasets

    run = write_run(tmp_path / "run", mixed())
    result = export(datasets_of(run), VerlConfig(mode="sft", model="m"), FACTS, run / "verl")
    schema = pq.read_schema(result.files["train"])
    assert schema.names == ["messages"]
    loaded = datasets.load_dataset("parquet", data_files=str(result.files["train"]))["train"]
    assert loaded.column_names == ["messages"]
    by_question = {row["messages"][0]["content"].split("\n")[0]: row["messages"]
                   for row in loaded}
    assert by_question["Q3?"] == [
        {"role": "user", "content": sample(3, "learnable", 0.0).prompt()},
        {"role": "assistant", "content": "work 3 <answer>3</answer>"}]
    # sft's default: learnable and too_hard (what the student is not yet reliable on)
    report = json.loads((run / "verl" / "export.json").read_text())
    assert report["categories"] == ["learnable", "too_hard"]
    assert report["read"] == {"learnable": 20, "too_hard": 10}
    assert report["samples"] == {"train": 27, "val": 3}


def test_left_out_samples_are_counted_by_reason(tmp_path):
    run = write_run(tmp_path / "run", [
        sample(1, "learnable", 0.5),
        sample(2, "learnable", 0.5, dropped="low agreement"),
        attrs.evolve(sample(3, "learnable", 0.5), answer=None),
        attrs.evolve(sample(4, "learnable", 0.5), reference=None),
        sample(5, "learnable", 0.9),
    ])
    sft = export(datasets_of(run), VerlConfig(mode="sft", model="m", val_fraction=0.0,
                                 select=Select(band=[0.2, 0.8])),
                 FACTS, run / "sft")
    assert sft.report["left_out"] == {"dropped": 1, "no label": 1, "no reference": 1,
                                      "outside select.band": 1}
    assert sft.report["rows"] == {"train": 1, "val": 0}
    saved = json.loads((run / "sft" / "export.json").read_text())
    assert saved["left_out"] == sft.report["left_out"]
    grpo_result = export(datasets_of(run), grpo(val_fraction=0.0), FACTS, run / "grpo")
    assert grpo_result.report["left_out"] == {"dropped": 1, "no label": 1}
    assert grpo_result.report["rows"] == {"train": 3, "val": 0}


def test_the_split_is_seeded_by_sample_and_stratified():
    samples = mixed()
    first = split(samples, 0.2, seed=7, stratify=True)
    again = split(list(reversed(samples)), 0.2, seed=7, stratify=True)
    assert [s.id for s in first["val"]] == [s.id for s in again["val"]]  # order-free
    other = split(samples, 0.2, seed=8, stratify=True)
    assert {s.id for s in other["val"]} != {s.id for s in first["val"]}
    counts = {c: sum(s.category == c for s in first["val"])
              for c in ("learnable", "too_easy", "too_hard")}
    assert counts == {"learnable": 4, "too_easy": 2, "too_hard": 2}
    assert {s.id for s in first["train"]}.isdisjoint(s.id for s in first["val"])
    assert len(first["train"]) + len(first["val"]) == len(samples)
    plain = split(samples, 0.2, seed=7, stratify=False)
    assert len(plain["val"]) == 8
    assert split(samples[:1], 0.5, seed=7, stratify=True)["train"] == samples[:1]
    assert split(samples, 0.0, seed=7, stratify=True)["val"] == []


def test_band_and_learnability_weights(tmp_path):
    samples = [sample(1, "learnable", 0.5), sample(2, "learnable", 0.25),
               sample(3, "learnable", 0.1), sample(4, "too_easy", 1.0)]
    # l = p(1-p): 0.25, 0.1875, 0.09, 0 -> round(l / 0.25 * 4), at least 1
    assert repeats(samples, 4) == [4, 3, 1, 1]
    assert repeats([sample(4, "too_easy", 1.0)], 4) == [1]
    run = write_run(tmp_path / "run", samples)
    cfg = grpo(categories=["learnable", "too_easy"], val_fraction=0.0, weight="learnability")
    result = export(datasets_of(run), cfg, FACTS, run / "verl")
    rows = pq.read_table(result.files["train"]).to_pylist()
    got = {}
    for row in rows:
        got[row["reward_model"]["ground_truth"]] = got.get(row["reward_model"]["ground_truth"],
                                                           0) + 1
    assert got == {"1": 4, "2": 3, "3": 1, "4": 1}
    assert result.report["samples"] == {"train": 4, "val": 0}
    assert result.report["rows"] == {"train": 9, "val": 0}

    band = grpo(categories=["learnable", "too_easy"], val_fraction=0.0,
                select=Select(band=[0.2, 0.6]))
    exported = export(datasets_of(run), band, FACTS, run / "band")
    kept = pq.read_table(exported.files["train"]).to_pylist()
    assert sorted(r["extra_info"]["pass_rate"] for r in kept) == [0.25, 0.5]


def test_an_empty_run_writes_empty_files_with_the_schema(tmp_path):
    run = write_run(tmp_path / "run", [])
    result = export(datasets_of(run), grpo(), FACTS, run / "verl")
    table = pq.read_table(result.files["train"])
    assert table.num_rows == 0 and table.schema.names[0] == "data_source"


@pytest.mark.parametrize("band", [[0.6, 0.2], [0.1], [-0.1, 0.5]])
def test_a_bad_band_is_refused(band):
    with pytest.raises(ValueError, match="band must be"):
        Select(band=band)
