"""``sdg plugin new``: each kind scaffolded into a temporary folder, installed with pip, its
own tests run, then a real ``sdg run`` that uses it (a retriever through the ``local`` task,
which plans its cloze questions with it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sdgcore.scaffold import SCAFFOLDED
from sdgcore.testing import world
from sdgcore.testing.server import FakeOpenAIServer, Reply, Script

QUESTIONS = ["Q1 [learnable]", "Q2 [easy]", "Q3 [hard]", "Q4 [split]"]
PLANTS = ("Photosynthesis turns light into sugar in the leaves of plants. Chlorophyll is the "
          "green pigment that absorbs the light. Leaves take in carbon dioxide through small "
          "pores called stomata, and the stomata close when the plant is short of water.\n\n"
          "Roots take up water and minerals from the soil. The water climbs to the leaves, "
          "where most of it leaves the plant again through the stomata.\n")


def never_right(request):
    """A student that answers every cloze question wrongly."""
    return [Reply("I do not know. <answer>nothing</answer>")] * request.n


def scaffold(sdg_cli, tmp_path, kind):
    name = f"my_{kind}"
    result = sdg_cli(["plugin", "new", name, "--kind", kind, "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    package = tmp_path / f"sdg-my-{kind}"
    assert f"wrote {package}" in result.output
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                          "--no-index", "--no-build-isolation", "--target", str(site),
                          str(package)], capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr
    env = {**world.sdg_env(), "PYTHONPATH": str(site)}
    return name, package, env


def sections(kind, name):
    """The config sections of an ``sdg run`` that uses component ``name`` of ``kind``."""
    return {
        "task": {"task": {"type": name, "questions": QUESTIONS}, "rewrite": None},
        "rewriter": {"rewrite": {"type": name, "max_rounds": 1}},
        "voter": {"voter": {"type": name, "k": 5}, "rewrite": None},
        "trainer": {"train": {"type": name}, "rewrite": None},
    }[kind]


@pytest.mark.slow
@pytest.mark.parametrize("kind", SCAFFOLDED)
def test_a_scaffolded_plugin_installs_passes_its_tests_and_runs(sdg_cli, tmp_path, kind):
    name, package, env = scaffold(sdg_cli, tmp_path, kind)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests"], cwd=package, env=env, capture_output=True, text=True,
                           timeout=300)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout

    listed = subprocess.run(world.sdg_command(tmp_path / "x.yaml")[:3] + ["plugins", "--json"],
                            env=env, capture_output=True, text=True)
    [mine] = [c for c in json.loads(listed.stdout)["components"] if c["name"] == name]
    assert mine == {"name": name, "kind": kind, "distribution": f"sdg-my-{kind}",
                    "version": "0.1.0", "status": "ready"}

    run_dir = tmp_path / "run"
    script = Script.respond(world.answer if kind != "retriever" else never_right)
    with FakeOpenAIServer(script) as server:
        if kind == "retriever":  # the local task plans its questions with the retriever
            docs = tmp_path / "docs"
            docs.mkdir()
            (docs / "plants.txt").write_text(PLANTS, encoding="utf-8")
            config = world.write_config(
                tmp_path / "c.yaml", server.url, run_dir, [], rewrite=None, label="gold",
                task={"type": "local", "paths": [str(docs)], "questions": "cloze",
                      "keywords": 0, "domain": ["chlorophyll", "photosynthesis", "stomata"],
                      "retriever": {"type": name}})
        else:
            config = world.write_config(tmp_path / "c.yaml", server.url, run_dir, QUESTIONS,
                                        **sections(kind, name))
        command = world.sdg_command(config, *(["--train"] if kind == "trainer" else []))
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    if kind == "retriever":  # cloze questions with their blanks as gold, all too hard here
        assert summary["counts"]["too_hard"] >= 1
        return
    assert summary["counts"]["learnable"] >= 1
    if kind == "trainer":
        assert (run_dir / f"{name}-train.jsonl").read_text().count("\n") >= 1
    if kind == "voter":
        assert summary["counts"]["dropped"] >= 1  # the split vote


@pytest.mark.parametrize(("args", "says"), [
    (["Bad-Name", "--kind", "task"], "NAME: 'Bad-Name' is not a plugin name"),
    (["ok", "--kind", "backend"], "'backend' is not one of"),
])
def test_a_bad_name_or_kind_is_refused(sdg_cli, tmp_path, args, says):
    result = sdg_cli(["plugin", "new", *args, "--dir", str(tmp_path)])
    assert result.exit_code == 2 and says in result.output
    assert not list(tmp_path.iterdir())


def test_an_existing_folder_is_never_overwritten(sdg_cli, tmp_path):
    (tmp_path / "sdg-mine").mkdir()
    (tmp_path / "sdg-mine" / "keep.txt").write_text("mine")
    result = sdg_cli(["plugin", "new", "mine", "--kind", "task", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "exists and is not empty" in result.output
    assert (tmp_path / "sdg-mine" / "keep.txt").read_text() == "mine"
