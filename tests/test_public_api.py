"""`sdgcore` is the one import a plugin needs: first-party plugins import nothing else of the
core, every public name resolves and is documented, and importing it stays light."""

import ast
import asyncio
import concurrent.futures
import inspect
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import sdgcore

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_SOURCES = sorted(ROOT.glob("plugins/*/src/**/*.py"))
HEAVY = ("torch", "litellm", "llama_cpp", "datasets", "sentence_transformers", "vllm")


def core_uses(path: Path) -> list[tuple[int, str]]:
    """``(line, what)`` for each use of the core in ``path``, at any depth (inside functions
    and ``if TYPE_CHECKING:`` blocks too): a module imported (``sdgcore.models``), a name
    imported from ``sdgcore`` or read off it (``sdgcore.Sample``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "sdgcore":
                found += [(node.lineno, f"sdgcore.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "sdgcore"):
            found.append((node.lineno, f"sdgcore.{node.attr}"))
    return [(line, what) for line, what in found if what.split(".")[0] == "sdgcore"]


def is_public(what: str) -> bool:
    """``sdgcore`` itself or a name in ``sdgcore.__all__``."""
    head, _, rest = what.partition(".")
    return head == "sdgcore" and (not rest or rest in sdgcore.__all__)


def test_plugin_sources_are_found():
    assert len(PLUGIN_SOURCES) > 20
    assert any(core_uses(path) for path in PLUGIN_SOURCES)


def test_plugins_import_only_the_public_api():
    bad = [f"{path.relative_to(ROOT)}:{line}: {module}"
           for path in PLUGIN_SOURCES for line, module in core_uses(path)
           if not is_public(module)]
    assert not bad, ("first-party plugin sources use core modules or names outside "
                     "sdgcore.__all__; import from `sdgcore` (add a name to sdgcore.__all__ "
                     "if it is missing):\n"
                     + "\n".join(bad))


def test_all_is_sorted_and_unique():
    assert sdgcore.__all__ == sorted(set(sdgcore.__all__))


@pytest.mark.parametrize("name", sdgcore.__all__)
def test_public_name_resolves_and_is_documented(name):
    obj = getattr(sdgcore, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert inspect.getdoc(obj), f"sdgcore.{name} has no docstring"
    listed = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", sdgcore.__doc__ or "")
    assert listed, f"the sdgcore docstring does not list {name}"


PROBE = "import json, sys, sdgcore; print(json.dumps(sorted(sys.modules)))"


def test_import_is_light():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True, timeout=60)
    modules = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "sdgcore" in modules
    assert not sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize("first", [
    "sdgcore", "sdgcore.base", "sdgcore.context", "sdgcore.models", "sdgcore.records",
    "sdgcore.hookspecs", "sdgcore.config.values", "sdgcore.config.schema",
    "sdgcore.models.endpoint", "sdgcore.cli",
])
def test_cold_import(first):
    """Whichever module an interpreter imports first, the public API is complete (no cycle
    leaves ``sdgcore`` half-initialised)."""
    probe = f"import {first}, sdgcore; [getattr(sdgcore, n) for n in sdgcore.__all__]"
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


def test_plugin_modules_import_cold():
    """Each first-party plugin module that uses the core imports as the first module of a
    fresh interpreter (``python -c "import sdg_local.task"``)."""
    names = [".".join(path.relative_to(ROOT).with_suffix("").parts[3:]).removesuffix(".__init__")
             for path in PLUGIN_SOURCES if core_uses(path)]

    def cold(name: str) -> str | None:
        out = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True,
                             text=True, timeout=120)
        return f"{name}: {out.stderr.strip().splitlines()[-1:]}" if out.returncode else None

    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        failed = [err for err in pool.map(cold, names) if err]
    assert not failed


def guide_example() -> str:
    """The code of the example in the guide's "The public API" section."""
    guide = (ROOT / "docs" / "plugins.md").read_text()
    section = guide.split("## The public API", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_guide_example_uses_only_the_public_api():
    tree = ast.parse(guide_example())
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported == ["sdgcore"]


def test_the_guide_example_asks_the_teacher_and_yields_samples():
    namespace: dict = {"__name__": "trivia_example"}
    exec(compile(guide_example(), "docs/plugins.md", "exec"), namespace)
    task = namespace["TriviaTask"](namespace["TriviaConfig"](topic="cats", count=3))
    requests = []

    class Teacher:
        async def chat(self, request):
            requests.append(request)
            if len(requests) == 2:
                return sdgcore.Completion(error="timeout", error_kind="timeout")
            return sdgcore.Completion(choices=(sdgcore.Choice(
                f" Question {len(requests)}? ", prompt_tokens=5, completion_tokens=3),))

    ctx = types.SimpleNamespace(seed=7, models={"teacher": Teacher()})

    async def collect():
        return [sample async for sample in task.generate(ctx)]

    samples = asyncio.run(collect())
    assert [s.question for s in samples] == ["Question 1?", "Question 3?"]
    assert all(s.task == "trivia" and s.tokens.completion for s in samples)
    assert len({r.seed for r in requests}) == 3
