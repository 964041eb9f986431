"""Bad input drill: broken configs, broken documents and run directories that are not ours.

A corpus built on the spot: configs with wrong types, unknown keys, missing keys, a missing
examples file, unset variables, a directory or an unreadable file or binary or non-UTF-8 bytes
or 9 MiB where the config should be; run directories of another config, with a corrupt marker,
a file, a stranger's folder; and documents for the ``local`` task: corrupt, truncated,
encrypted and text-less PDFs, a binary file named .txt, non-UTF-8 text, a huge file, an empty
one, an unsupported type. Each config must give exit 2 and a one-line error naming the key path
or file; each document must be skipped with its reason recorded (or read, for text in another
encoding); no file of an existing run directory may change.

    python bench/bad_input.py [--quick] [--json PATH]

``tests/test_bad_input.py`` runs the same corpus through ``sdg`` in-process.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (bench/ is a folder of scripts)

from sdgcore.testing import world  # noqa: E402

Invoke = Callable[[list[str]], tuple[int, str]]
"""Runs ``sdg ARGS`` and returns its exit status and its output (stdout and stderr)."""


@attrs.frozen
class Case:
    """One piece of bad input.

    :param name: short name.
    :param what: what is wrong with it.
    :param expect: text the error (or the skip reason) must hold.
    :param args: ``sdg`` arguments, for a config case; None for a document.
    :param path: the document, for a document case.
    :param unable: why this case cannot be tried here (it is reported as skipped).
    """

    name: str
    what: str
    expect: str
    args: list[str] | None = None
    path: Path | None = None
    unable: str | None = None


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root``: relative path -> sha256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _as_root() -> str | None:
    if os.geteuid() == 0:
        return "running as root: file permissions do not stop root"
    return None


def _config(path: Path, api_base: str, run_dir: Path, **sections: Any) -> Path:
    return world.write_config(path, api_base, run_dir, world.questions(5), **sections)


def make_run(root: Path, api_base: str, invoke: Invoke) -> Path:
    """A finished run directory (a real run against ``api_base``, the scripted server)."""
    run_dir = root / "finished-run"
    code, out = invoke(["run", str(_config(root / "finished.yaml", api_base, run_dir))])
    if code != 0:
        raise RuntimeError(f"the run to protect failed ({code}):\n{out}")
    return run_dir


def config_cases(root: Path, api_base: str, finished: Path) -> list[Case]:
    """Broken configs and run directories under ``root``; ``finished`` is a run directory
    that none of them may change."""
    c = root / "configs"
    c.mkdir(parents=True)
    new_dir = root / "new-run"

    def write(name: str, text: str | bytes) -> str:
        path = c / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return str(path)

    def good(name: str, run_dir: Path = new_dir, **sections: Any) -> str:
        return str(_config(c / name, api_base, run_dir, **sections))

    def edited(name: str, change: Callable[[dict[str, Any]], None]) -> str:
        data = yaml.safe_load(Path(good(name, finished)).read_text(encoding="utf-8"))
        change(data)
        return write(name, yaml.safe_dump(data))

    distill = yaml.safe_load(Path(good("base.yaml")).read_text(encoding="utf-8"))
    distill["task"] = {"type": "distill", "instruction": "Write arithmetic questions.",
                       "examples": str(c / "missing-examples.jsonl")}
    distill["run"] = {"dir": str(new_dir)}
    (c / "a-directory.yaml").mkdir()
    locked = write("locked.yaml", "task: {}\n")
    os.chmod(locked, 0)
    foreign = root / "someone-elses"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    corrupt = root / "corrupt-marker"
    corrupt.mkdir()
    (corrupt / "sdg-run.json").write_text("{not json")
    (root / "a-file").write_text("not a directory")
    locked_dir = root / "locked-dir"
    locked_dir.mkdir()
    os.chmod(locked_dir, 0)
    huge = c / "huge.yaml"
    with huge.open("w") as fh:
        fh.write("# padding\n" * (9 * 2**20 // 10 + 1))

    def set_key(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def change(data: dict[str, Any]) -> None:
            node = data
            *parents, last = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        return change

    def drop_questions(data: dict[str, Any]) -> None:
        del data["task"]["questions"]

    validate, run = "validate", "run"
    return [
        Case("wrong type", "solve.n is a word", "solve.n: expected an integer, got 'lots'",
             [validate, edited("wrong-type.yaml", set_key("solve.n", "lots"))]),
        Case("unknown key", "a misspelt key", "target.learnabel: unknown key",
             [validate, edited("unknown-key.yaml", set_key("target.learnabel", 3))]),
        Case("missing key", "the list task without its questions",
             "task.questions: required key missing",
             [validate, edited("missing-key.yaml", drop_questions)]),
        Case("unknown type", "a voter nobody installed", "voter.type: unknown voter 'majority'",
             [validate, edited("unknown-type.yaml", set_key("voter.type", "majority"))]),
        Case("unset variable", "an API key from a variable that is not set",
             "models.teacher.api_key: environment variable SDG_DRILL_UNSET is not set",
             [run, edited("unset.yaml", set_key("models.teacher.api_key",
                                                "${SDG_DRILL_UNSET}"))]),
        Case("missing examples file", "task.examples names no file",
             f"task.examples: distill examples file not found: {c / 'missing-examples.jsonl'}",
             [run, write("distill.yaml", yaml.safe_dump(distill))]),
        Case("missing config", "the config file does not exist", "file not found: ",
             [validate, str(c / "nowhere.yaml")]),
        Case("config is a directory", "a directory where the config should be",
             "is a directory", [validate, str(c / "a-directory.yaml")]),
        Case("unreadable config", "a config without read permission", "Permission denied",
             [validate, locked], unable=_as_root()),
        Case("unreadable config (/proc)", "a file that fails to read",
             "cannot read /proc/self/mem", [validate, "/proc/self/mem"]),
        Case("non-UTF-8 config", "Latin-1 bytes", "'utf-8' codec can't decode",
             [validate, write("latin1.yaml", "task:\n  type: list\n  questions: [caf\xe9]\n"
                              .encode("latin-1"))]),
        Case("binary config", "bytes with NULs", "'utf-8' codec can't decode",
             [validate, write("binary.yaml", bytes(range(256)) * 4)]),
        Case("huge config", "9 MiB of comments", "a config is at most 8 MiB",
             [validate, str(huge)]),
        Case("invalid YAML", "an unclosed bracket", "not valid YAML: line 2",
             [validate, write("broken.yaml", "task: [a\n")]),
        Case("not a mapping", "a list at the top", "must hold a mapping of sections",
             [validate, write("list.yaml", "- a\n- b\n")]),
        Case("run dir of another config", "run.dir holds a finished run of other questions",
             "holds a run of a different config",
             [run, good("other.yaml", finished, task={"type": "list", "questions": ["x"]})]),
        Case("run dir is a file", "run.dir names a file", "exists and is not a directory",
             [run, good("file-dir.yaml", root / "a-file")]),
        Case("run dir is someone else's", "run.dir holds files that are not a run",
             "is not empty and is not an sdg run directory",
             [run, good("foreign.yaml", foreign), "--fresh"]),
        Case("run dir with a corrupt marker", "sdg-run.json is not JSON", "is unreadable",
             [run, good("corrupt.yaml", corrupt)]),
        Case("run dir without permission", "run.dir cannot be read", "Permission denied",
             [run, good("locked-dir.yaml", locked_dir)], unable=_as_root()),
    ]


def document_cases(root: Path) -> list[Case]:
    """Broken documents for the ``local`` task, in ``root / "docs"``."""
    import pymupdf

    from sdg_local.ingest import MAX_FILE_BYTES

    d = root / "docs"
    d.mkdir(parents=True)
    (d / "good.txt").write_text("Paris is the capital of France.\n")
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "A page of text that is long enough to read. " * 3)
    whole = doc.tobytes()
    doc.save(d / "encrypted.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret",
             owner_pw="owner")
    doc.close()
    (d / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    (d / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    blank = pymupdf.open()
    blank.new_page()
    blank.save(d / "blank.pdf")
    blank.close()
    (d / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    (d / "latin1.txt").write_bytes("Un caf\xe9 cr\xe8me, s'il vous pla\xeet.".encode("latin-1"))
    (d / "undecodable.txt").write_bytes(b"\x81\x8d\x8f\x90\x9d" * 20)
    (d / "empty.txt").write_bytes(b"")
    (d / "slides.pptx").write_bytes(b"PK\x03\x04 not really")
    with (d / "huge.txt").open("wb") as fh:  # sparse: it costs no disk
        fh.truncate(MAX_FILE_BYTES + 1)
    locked = d / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text("You cannot read me.")
    os.chmod(locked, 0)
    return [
        Case("good text", "a plain text file", "read", path=d / "good.txt"),
        Case("encrypted PDF", "AES-256, needs a password", "encrypted PDF",
             path=d / "encrypted.pdf"),
        Case("truncated PDF", "the first third of a PDF", "not a PDF / corrupt",
             path=d / "truncated.pdf"),
        Case("corrupt PDF", "a PDF header, then noise", "not a PDF / corrupt",
             path=d / "garbage.pdf"),
        Case("empty PDF", "a page with no text layer", "empty: no text layer",
             path=d / "blank.pdf"),
        Case("binary .txt", "an executable named .txt", "binary file",
             path=d / "binary.txt"),
        Case("non-UTF-8 text", "Latin-1 French", "read as cp1252", path=d / "latin1.txt"),
        Case("undecodable text", "bytes no text encoding has", "not text",
             path=d / "undecodable.txt"),
        Case("empty text", "zero bytes", "empty: no text", path=d / "empty.txt"),
        Case("unsupported type", "a .pptx", "unsupported file type '.pptx'",
             path=d / "slides.pptx"),
        Case("huge file", f"{MAX_FILE_BYTES + 1} bytes", "too large", path=d / "huge.txt"),
        Case("unreadable folder", "a folder without permission", "Permission denied",
             path=locked, unable=_as_root()),
    ]


def run_config_case(case: Case, invoke: Invoke) -> dict[str, Any]:
    """Run a config case: passes with exit 2 and one error line holding ``expect``."""
    assert case.args is not None
    code, out = invoke(case.args)
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    found = [line for line in lines if case.expect in line]
    message = found[0] if found else (lines[0] if lines else "")
    ok = code == 2 and bool(found) and "Traceback" not in out
    return {"case": case.name, "kind": "config", "what": case.what, "exit": code,
            "outcome": "error" if code else "accepted", "message": message, "ok": ok}


def run_document_cases(cases: list[Case], root: Path) -> list[dict[str, Any]]:
    """Load every document at once (twice: the second time from the parse cache) and check
    each was skipped with its reason, or read."""
    from sdg_local.ingest import load_documents

    paths = [case.path for case in cases if case.path is not None]
    cache = root / "doc-cache"
    docs, skipped = load_documents(paths, cache_dir=cache)
    again, skipped_again = load_documents(paths, cache_dir=cache)
    stable = again == docs and skipped_again == skipped
    rows = []
    for case in cases:
        assert case.path is not None
        reasons = [s.reason for s in skipped if Path(s.path) == case.path]
        read = [doc for doc in docs if Path(doc.path) == case.path]
        if read:
            message = f"read as {read[0].encoding or read[0].kind}"
            outcome = "read"
        else:
            message = reasons[0] if reasons else "neither read nor skipped"
            outcome = "skipped" if reasons else "lost"
        ok = (case.expect in message or (case.expect == "read" and outcome == "read")) \
            and stable
        rows.append({"case": case.name, "kind": "document", "what": case.what, "exit": None,
                     "outcome": outcome, "message": message, "ok": ok})
    return rows


def drill(root: Path, api_base: str, invoke: Invoke) -> list[dict[str, Any]]:
    """Build the corpus under ``root`` and run every case; each row says what happened and
    whether it is what should have happened (``ok``)."""
    finished = make_run(root, api_base, invoke)
    cases = config_cases(root, api_base, finished)
    protected = {p: snapshot(p) for p in (finished, root / "someone-elses",
                                           root / "corrupt-marker")}
    rows = []
    for case in cases:
        if case.unable:
            rows.append({"case": case.name, "kind": "config", "what": case.what, "exit": None,
                         "outcome": "not tried", "message": case.unable, "ok": True})
            continue
        row = run_config_case(case, invoke)
        changed = [str(p) for p, before in protected.items() if snapshot(p) != before]
        if changed:
            row["ok"], row["message"] = False, f"changed {', '.join(changed)}: {row['message']}"
        rows.append(row)
    try:
        doc_cases = document_cases(root)
    except ImportError as exc:
        rows.append({"case": "documents", "kind": "document", "what": "sdg-local is missing",
                     "exit": None, "outcome": "not tried", "message": str(exc), "ok": True})
    else:
        for case in (c for c in doc_cases if c.unable):
            rows.append({"case": case.name, "kind": "document", "what": case.what,
                         "exit": None, "outcome": "not tried", "message": case.unable,
                         "ok": True})
        rows += run_document_cases([c for c in doc_cases if not c.unable], root)
    return rows


def subprocess_invoke(args: list[str]) -> tuple[int, str]:
    """``sdg ARGS`` in a subprocess, with the test components loaded."""
    sdg = str(Path(sys.executable).with_name("sdg"))
    done = subprocess.run([sdg, "-p", "sdgcore.testing.components", *args],
                          env=world.sdg_env(), capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def main() -> None:
    from sdgcore.testing.server import FakeOpenAIServer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_output_args(parser)
    args = parser.parse_args()  # --quick changes nothing: the drill is small already
    with tempfile.TemporaryDirectory(prefix="sdg-bad-input-") as tmp, \
            FakeOpenAIServer(world.script()) as server:
        try:
            rows = drill(Path(tmp), server.url, subprocess_invoke)
        finally:  # let the temporary directory be removed
            for path in Path(tmp).rglob("*"):
                if path.is_dir() and not path.is_symlink():
                    os.chmod(path, 0o755)
    columns = ("case", "kind", "outcome", "exit", "ok", "message")
    table = [[r["case"], r["kind"], r["outcome"], "-" if r["exit"] is None else str(r["exit"]),
              "yes" if r["ok"] else "NO", r["message"][:110]] for r in rows]
    bad = [r["case"] for r in rows if not r["ok"]]
    title = f"bad input: {len(rows)} cases, {len(bad)} wrong"
    common.print_table(title, columns, table)
    print(f"{'PASS' if not bad else 'FAIL: ' + ', '.join(bad)}")
    out = common.write_results("bad_input", args.json, args=args, rows=rows, title=title,
                               columns=columns, table=table, ok=not bad)
    print(f"results: {out}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
