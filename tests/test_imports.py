"""No import circles in src/ganforge: every module imports only from its own floor or below.

The imports of every module (top-level, inside functions and in ``if TYPE_CHECKING:`` blocks: an
annotation-only import still ties two layers together) form a graph; a strongly connected component
of more than one module is an import circle.
Two registration patterns are not arrows back up, as docs/architecture.md describes:

- a module using its own package's registry (``nets/dcgan.py`` -> ``nets/__init__.py``'s ``ARCHS``);
- imports placed after a module's code (``# noqa: E402``) that only load variant modules to register them.
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: Circles known and owned elsewhere; this list may only shrink (test_known_circles_are_still_real).
KNOWN = [
]


def _modules() -> dict[str, Path]:
    mods = {}
    for f in SRC.rglob("*.py"):
        parts = f.relative_to(SRC).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return mods


def _registration_nodes(tree: ast.Module) -> set[int]:
    """Top-level imports after the first statement that is not an import or a docstring."""
    seen_code, late = False, set()
    for stmt in tree.body:
        is_import = isinstance(stmt, (ast.Import, ast.ImportFrom))
        is_doc = isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if is_import and seen_code:
            late.add(id(stmt))
        seen_code |= not (is_import or is_doc)
    return late


def _targets(node, module: str, is_package: bool, mods: dict) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]


def _resolve(name: str, mods: dict) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """module -> the ganforge modules it imports (registration imports left out, see the module docstring)."""
    mods = _modules()
    graph = {m: set() for m in mods}
    for module, path in mods.items():
        tree = ast.parse(path.read_text())
        skip = _registration_nodes(tree)  # annotation-only (TYPE_CHECKING) imports count: no circle hides there
        for node in ast.walk(tree):
            if id(node) in skip or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, module, path.name == "__init__.py", mods):
                found = _resolve(target, mods)
                own_registry = found is not None and module.startswith(found + ".")
                if found and found != module and found.startswith("ganforge") and not own_registry:
                    graph[module].add(found)
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(component)
    return out


def test_no_import_circles():
    found = [c for c in circles(import_graph()) if c not in KNOWN]
    assert not found, "import circles (move the shared code down a floor): " + "; ".join(
        " <-> ".join(sorted(c)) for c in found)


def test_known_circles_are_still_real():
    current = circles(import_graph())
    assert all(c in current for c in KNOWN), "a known circle is gone: remove it from KNOWN"


def test_the_checker_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_issues_circles_are_gone():
    graph = import_graph()
    assert not {"ganforge.data", "ganforge.recipes", "ganforge.nets"} & graph["ganforge.config"]
    assert "ganforge.api" not in graph["ganforge.metrics.evaluate"]
    assert "ganforge.cli" not in graph["ganforge.studio.app"]


def test_config_names_that_moved_up_say_where_they_went():
    import importlib

    import pytest

    config = importlib.import_module("ganforge.config")
    with pytest.raises(ImportError, match="moved to ganforge.presets"):
        config.load_config  # noqa: B018 -- the attribute access is the test
    assert callable(importlib.import_module("ganforge.presets").load_config)  # the new home works
