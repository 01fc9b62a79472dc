"""No import cycles in labkit, counting every import statement wherever it stands (in a function, under
TYPE_CHECKING): the graph is read from the source with `ast`, relative imports resolved.

`from pkg import name` is an edge to the module pkg.name when there is one, else to pkg itself (a name its
__init__ defines); the packages Python runs on the way to a module (labkit/__init__.py …) are not edges.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "labkit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The labkit modules that the module name (at path) imports, by every import statement in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:  # `from pkg import mod` imports the module pkg.mod; else pkg itself
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in found if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    """labkit's modules and, for each, the labkit modules it imports."""
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (a cycle), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _shortest_cycle(graph: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    """The shortest path from start back to start inside one component: a cycle to name."""
    came: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v] & within):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return [*reversed(path), start]
            if w not in came:
                came[w] = v
                queue.append(w)
    return [start]


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each cycle as one line: the modules of a strongly connected component and one cycle through them."""
    lines = []
    for part in _strongly_connected(graph):
        path = _shortest_cycle(graph, part[0], set(part))
        lines.append(f"{' -> '.join(path)}  (in a knot of {len(part)}: {', '.join(part)})")
    return lines


def test_the_graph_sees_function_level_and_relative_imports():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == ["a -> b -> c -> a  (in a knot of 3: a, b, c)"]
    labkit = import_graph()
    assert "labkit.engines.sim.daemon" in labkit["labkit.engines.simclient"]  # a module-level import
    assert "labkit.engines.apiclient.connect" in labkit["labkit.engines.select"]  # inside choose()


def test_labkit_has_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles in labkit:\n" + "\n".join(found)
