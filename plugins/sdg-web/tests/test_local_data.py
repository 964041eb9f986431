"""Local data, offline: parquet, JSONL, CSV files, folders of them, and save_to_disk folders;
and how a row becomes a sample's text."""

import csv
import json

import pytest

from sdg_web.config import WebConfig
from sdg_web.convert import direct, mapped, short_answer
from sdg_web.hub import Hub
from sdg_web.plan import interleave
from sdg_web.probe import probe
from sdg_web.rows import DatasetRef, parse_ref, read_rows
from sdgcore import InputError

ROWS = [{"q": f"What is {i} + 1?", "a": str(i + 1), "n": i} for i in range(6)]


def hub() -> Hub:
    return Hub(WebConfig(query="x"))


def write_all(folder):
    import datasets

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    datasets.Dataset.from_list(ROWS).to_parquet(str(folder / "rows.parquet"))
    with open(folder / "rows.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["q", "a", "n"])
        writer.writeheader()
        writer.writerows(ROWS)
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS[:4]),
                          "test": datasets.Dataset.from_list(ROWS[4:])}).save_to_disk(
        str(folder / "saved"))
    datasets.Dataset.from_list(ROWS).save_to_disk(str(folder / "single"))
    (folder / "files").mkdir()
    (folder / "files" / "train.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in ROWS[:2]))


@pytest.mark.parametrize(("name", "kind", "split", "first"), [
    ("rows.jsonl", "json", "train", 0), ("rows.parquet", "parquet", "train", 0),
    ("rows.csv", "csv", "train", 0), ("saved", "saved", "train", 0),
    ("single", "saved", "train", 0), ("files", "folder", "train", 0)])
def test_local_data_is_read_offline(tmp_path, monkeypatch, name, kind, split, first):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    write_all(tmp_path / "data")
    ref = parse_ref(str(tmp_path / "data" / name))
    assert ref.kind == kind and ref.local
    found = probe(hub(), ref, None, 2)
    assert found.split == split and found.config is None and found.revision is None
    assert found.columns[:2] == ("q", "a")
    assert [str(r["a"]) for r in found.rows] == ["1", "2"]
    assert found.rows[0]["q"] == "What is 0 + 1?"


def test_a_saved_dataset_dict_gives_its_splits_and_a_readme_is_the_card(tmp_path):
    write_all(tmp_path / "data")
    (tmp_path / "data" / "README.md").write_text("---\nlicense: cc0-1.0\n---\n# Sums\nEasy.")
    found = probe(hub(), parse_ref(str(tmp_path / "data" / "rows.jsonl")), None, 1)
    assert found.license == "cc0-1.0" and found.card == "# Sums\nEasy."
    test = probe(hub(), parse_ref(str(tmp_path / "data" / "saved")), "test", 5)
    assert [r["n"] for r in test.rows] == [4, 5]
    with pytest.raises(InputError, match="has no split 'dev'"):
        probe(hub(), parse_ref(str(tmp_path / "data" / "saved")), "dev", 5)
    assert len(read_rows(hub(), DatasetRef(str(tmp_path / "data" / "rows.csv"), kind="csv"),
                         None, "train", 100)) == 6


def test_names_are_hub_ids_or_paths(tmp_path):
    assert parse_ref("openai/gsm8k:main") == DatasetRef("openai/gsm8k", "main")
    assert parse_ref("acme/qa") == DatasetRef("acme/qa")
    with pytest.raises(InputError, match="no such file"):
        parse_ref(str(tmp_path / "missing.jsonl"))
    with pytest.raises(InputError, match="neither a local file nor a Hub id"):
        parse_ref("gsm8k")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="not a parquet, JSONL, JSON or CSV file"):
        parse_ref(str(tmp_path / "notes.txt"))


@pytest.mark.parametrize(("cell", "short"), [
    ("72", "72"), ("Paris", "Paris"),
    ("Natalia sold 48/2 = 24 clips in May.\nAltogether 48+24 = 72 clips.\n#### 72", "72"),
    ("First we add.\nThen we get \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}"),
    ("Work it out step by step.\n<answer>12</answer>", "12"),
    ("We count every apple in the basket carefully.\nThe answer is 14.", "14"),
    ("A long explanation with many words that never states a short final answer at all "
     "anywhere in it.", None), ("", None)])
def test_the_short_answer_of_an_answer_cell(cell, short):
    assert short_answer(cell) == short


def test_a_row_becomes_a_draft_with_its_gold_answer_and_worked_reference():
    row = {"problem": "What is 2 + 2?", "solution": "Add them.\n#### 4", "x": 1}
    texts = mapped(row, {"question": "problem", "answer": "solution"})
    draft = direct(texts)
    assert (draft.question, draft.gold, draft.reference) == ("What is 2 + 2?", "4",
                                                             "Add them.\n#### 4")
    assert direct(mapped({"problem": ""}, {"question": "problem"})) is None
    plain = direct(mapped({"q": "Capital of France?", "a": "Paris"},
                          {"question": "q", "answer": "a"}))
    assert plain.gold == "Paris" and plain.reference is None


def test_rows_are_drawn_in_proportion_to_the_weights():
    draws = list(interleave([20, 12, 0], [100, 6, 50], seed=0))
    first = [d for d, _ in draws[:16]]
    assert first.count(0) == 10 and first.count(1) == 6  # 20:12 = 10:6
    assert [d for d, _ in draws].count(1) == 6 and 2 not in {d for d, _ in draws}
    assert len(draws) == 106  # the small one ran out, the big one went on alone
    rows = [r for d, r in draws if d == 0]
    assert sorted(rows) == list(range(100)) and rows != list(range(100))  # shuffled, all
    assert list(interleave([20, 12, 0], [100, 6, 50], seed=0)) == draws
