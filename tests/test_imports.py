"""The package's import graph: no cycles, and an import inside a function only where it keeps TensorFlow (or
Streamlit) out of a process, with a comment on its line saying so."""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "rnnlab"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for sub in node.body for n in ast.walk(sub))
    return skip


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, at any depth (``if TYPE_CHECKING:`` blocks left out)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        skip = _type_checking_nodes(tree)
        found = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_the_package():
    graph = import_graph()
    assert "rnnlab.config.specs" in graph and "rnnlab.models.registry" in graph["rnnlab.config.specs"]
    assert cycles(graph) == []


def test_imports_inside_functions_say_why():
    """Each import inside a function has a comment on its line: it keeps TensorFlow, Keras or Streamlit out of a
    process that does not need them (everything else is imported at the top of its module)."""
    undocumented = []
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        skip = _type_checking_nodes(tree)
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skip:
                    line = lines[node.lineno - 1]
                    if "#" not in line:
                        undocumented.append(f"{path.relative_to(ROOT)}:{node.lineno}: {line.strip()}")
    assert not undocumented, undocumented


def test_nothing_in_the_product_imports_a_report_maker():
    """Report makers (rnnlab.reports) may use everything; the product never imports one: only the command that
    runs a report (rnnlab.cli.reports) does, and the pages import nothing from there."""
    graph = import_graph()
    assert any(m.startswith("rnnlab.reports.") for m in graph), sorted(graph)[:5]
    offenders = sorted(f"{module} -> {target}" for module, targets in graph.items() for target in targets
                       if target.startswith("rnnlab.reports") and not module.startswith("rnnlab.reports")
                       and module != "rnnlab.cli.reports")
    assert offenders == []
    pages = [ROOT / "app.py", *ROOT.joinpath("pages").glob("*.py")]
    assert [p.name for p in pages if "rnnlab.reports" in p.read_text() or "rnnlab.cli" in p.read_text()] == []
