"""The modules of sdgcore import each other without a cycle.

The graph is read from the source with :mod:`ast`, not from ``sys.modules``, so a cycle hidden
by import order, a lazy module ``__getattr__`` or an import moved into a function still shows.

What counts as an edge from module ``m`` to module ``t`` (both under ``sdgcore``):

* every ``import t`` / ``from t import x`` / ``from p import t`` anywhere in ``m``: at the top,
  in a class body, in a ``try:`` or ``if`` block, and inside a function, since a function-level
  import made only to dodge a cycle is still a cycle;
* except an import under ``if TYPE_CHECKING:`` (annotations only; never run);
* importing ``a.b.c`` also runs the package ``a.b``, so it is an edge to ``a.b`` too, unless
  ``m`` lives inside ``a.b`` (a package's own modules are loaded while it loads);
* an import by name counts like an import: ``importlib.import_module("sdgcore.x")``, and where
  the name is computed (a lazy module ``__getattr__``, a table of ``"module:Class"``
  references), every sdgcore module that a string in that module names (``"sdgcore.x"``,
  ``"sdgcore.x:Name"``) counts as imported, since any of them may be.

Function-level imports of libraries outside sdgcore (torch, vllm, litellm: optional heavy
libraries loaded by the function that needs them) are not nodes of this graph at all; an
sdgcore module imported in a function so that its heavy library loads late (the fake server
and aiohttp) still counts, and makes no cycle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import sdgcore

ROOT = Path(sdgcore.__file__).parent
_NAMED = re.compile(r"(sdgcore(?:\.\w+)*)(?::\w*)?")


def module_names() -> dict[str, Path]:
    """Every sdgcore module by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> Iterator[ast.AST]:
    """Import nodes under ``node``, leaving out ``if TYPE_CHECKING:`` bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports_in(other)
            continue
        yield from _imports_in(child)


def _imports_in(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
          and node.func.attr == "import_module" and node.args
          and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        yield node
    yield from _imports(node)


def _targets(name: str, is_package: bool, node: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The sdgcore modules one import statement loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if isinstance(node, ast.Call):
        return {node.args[0].value}
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        package = name if is_package else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    found = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        found.add(sub if sub in modules else base)
    return found


def _named_by_strings(tree: ast.Module) -> set[str]:
    """Where ``tree`` imports by a computed name: the sdgcore modules its strings name."""
    dynamic = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                  and n.func.attr == "import_module" and n.args
                  and not isinstance(n.args[0], ast.Constant) for n in ast.walk(tree))
    if not dynamic:
        return set()
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    return {m.group(1) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docstrings and (m := _NAMED.fullmatch(n.value))}


def import_graph() -> dict[str, set[str]]:
    """Each sdgcore module mapped to the sdgcore modules it imports (see the module doc)."""
    modules = module_names()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        named = [{t} for t in _named_by_strings(tree)]
        for found in [*named, *(_targets(name, is_package, n, modules) for n in _imports(tree))]:
            for target in found:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    prefix = ".".join(parts[:i])
                    if prefix not in modules or prefix == name:
                        continue
                    inside = name.startswith(prefix + ".")
                    if i == len(parts) or not inside:
                        edges.add(prefix)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def find_cycles(graph: dict[str, set[str]], most: int = 10) -> list[list[str]]:
    """Cycles of ``graph``: one, then another once an edge of it is taken out, and so on."""
    graph = {node: set(edges) for node, edges in graph.items()}
    cycles = []
    while len(cycles) < most and (cycle := find_cycle(graph)):
        cycles.append(cycle)
        graph[cycle[-2]].discard(cycle[-1])
    return cycles


def test_the_graph_is_read():
    graph = import_graph()
    assert "sdgcore.pipeline.run" in graph
    assert "sdgcore.errors" in graph["sdgcore"]


def test_sdgcore_modules_import_each_other_without_a_cycle():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_a_cycle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_defines_a_lazy_getattr():
    lazy = [name for name, path in module_names().items()
            if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__"
                   for n in ast.parse(path.read_text(encoding="utf-8")).body)]
    assert lazy == []
