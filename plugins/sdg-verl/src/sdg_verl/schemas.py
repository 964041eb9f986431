"""The parquet schemas of the verl files, writing them, and checking a written file.

pyarrow is imported inside the functions (the ``sdg`` command line stays light).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sdgcore import InputError, import_optional, write_atomic

COLUMNS = {
    "sft": ("messages",),
    "grpo": ("data_source", "prompt", "ability", "reward_model", "extra_info"),
}
"""The columns of each mode's files, in order."""


def _pa():
    return import_optional("pyarrow", extra="sdgcore[export]", feature="sdg train")


def schema(mode: str):
    """The ``pyarrow.Schema`` of ``mode``'s files."""
    pa = _pa()
    chat = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    if mode == "sft":
        return pa.schema([("messages", chat)])
    student = pa.struct([("model", pa.string()), ("n", pa.int64()),
                         ("temperature", pa.float64())])
    rules = pa.struct([("tolerance", pa.float64()), ("abs_tolerance", pa.float64()),
                       ("symbolic", pa.bool_())])
    extra = pa.struct([
        ("index", pa.int64()), ("split", pa.string()), ("sample_id", pa.string()),
        ("pass_rate", pa.float64()), ("category", pa.string()),
        ("learnability", pa.float64()), ("student", student), ("answer_tag", pa.string()),
        ("format_reward", pa.float64()), ("equivalence", rules),
    ])
    return pa.schema([
        ("data_source", pa.string()),
        ("prompt", chat),
        ("ability", pa.string()),
        ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        ("extra_info", extra),
    ])


def write_parquet(path: Path, rows: list[dict[str, Any]], mode: str) -> None:
    """Write ``rows`` to ``path`` with ``mode``'s schema (atomically)."""
    pa = _pa()
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=schema(mode))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    write_atomic(path, sink.getvalue().to_pybytes())


def check_file(path: Path, mode: str) -> int:
    """Check that ``path`` loads and has ``mode``'s schema; return its row count.

    :raises InputError: the file is missing, unreadable, or has other columns or types.
    """
    _pa()
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read as parquet ({exc})") from None
    expected = schema(mode)
    if not table.schema.equals(expected):
        raise InputError(f"{path}: columns {table.schema.names} do not match the {mode} "
                         f"schema {expected.names}",
                         hint="run `sdg train` again to rewrite it")
    return table.num_rows
