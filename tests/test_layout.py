"""harness's own layout: rooms whose imports point one way, no import circles, modules and functions of a readable size.

docs/design.md draws the map these tests keep true. They read harness's source with `ast` (imports inside functions
count too: a lazy import is still a dependency), so a change that breaks the map fails here with the import that did.
"""
from __future__ import annotations

import ast
import os
import tempfile
import unittest
from collections.abc import Iterator

from tests.support import REPO

PACKAGE = os.path.join(REPO, "harness")
# The rooms from the top down: a module may import its own room and the rooms after it, never one before it.
ROOMS = ("cli", "run", "probes", "testcase", "findings", "reports")
MODULE_LINES = 600
FUNCTION_LINES = 40
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
LONG_BY_DESIGN = {("harness.cli", "build_parser")}  # the options as a table: one call per option


def modules() -> dict[str, str]:
    """Every module of the package by dotted name, with its file."""
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path[:-3], REPO).replace(os.sep, ".").removesuffix(".__init__")
                found[dotted] = path
    return found


def room_of(module: str) -> str | None:
    """The room of a module of harness; None for the package itself (the public API, which may name any room)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    return "cli" if parts[1] in ("cli", "__main__") else parts[1]


def imported(module: str, path: str, known: dict[str, str]) -> Iterator[tuple[str, int]]:
    """The modules of harness that `module` imports, anywhere in its code, with the line."""
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("harness"):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            targets = [name for name in names if name in known] or [node.module]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names if alias.name.startswith("harness")]
        else:
            continue
        for target in targets:
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target != module and target in known:
                yield target, node.lineno


class LayoutTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.modules = modules()
        cls.imports = {module: list(imported(module, path, cls.modules)) for module, path in cls.modules.items()}

    def test_every_module_is_in_a_room(self):
        for module in self.modules:
            self.assertIn(room_of(module), (None, *ROOMS), f"{module} is in no room of {ROOMS}")

    def test_imports_point_down_the_rooms(self):
        upward = []
        for module, targets in self.imports.items():
            room = room_of(module)
            for target, line in targets:
                other = room_of(target)
                if room is not None and other is not None and ROOMS.index(other) < ROOMS.index(room):
                    upward.append(f"{self.modules[module]}:{line}: {module} ({room}) imports {target} ({other})")
        self.assertEqual(upward, [], "imports must point down the rooms " + " > ".join(ROOMS))

    def test_no_import_circles(self):
        graph = {module: {target for target, _ in targets} for module, targets in self.imports.items()}
        graph.pop("harness", None)  # the public API imports its homes lazily, and every module imports it first
        circles = [circle for circle in strongly_connected(graph) if len(circle) > 1]
        self.assertEqual(circles, [], "modules that import each other, directly or around a circle")

    def test_modules_and_functions_are_readable_sizes(self):
        too_long = []
        for module, path in self.modules.items():
            with open(path, encoding="utf-8") as file:
                source = file.read()
            lines = source.count("\n")
            if lines > MODULE_LINES:
                too_long.append(f"{path}: {lines} lines (at most {MODULE_LINES})")
            for node in ast.walk(ast.parse(source)):
                if not isinstance(node, FUNCTIONS) or (module, node.name) in LONG_BY_DESIGN:
                    continue
                length = node.end_lineno - node.lineno + 1
                if length > FUNCTION_LINES:
                    too_long.append(f"{path}:{node.lineno}: {node.name} is {length} lines (at most {FUNCTION_LINES})")
        self.assertEqual(too_long, [])

    def test_an_import_inside_a_function_counts(self):
        # The rules are only as good as this reading of imports: a lazy import is a dependency too.
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "lazy.py")
            with open(path, "w", encoding="utf-8") as file:
                file.write("def later():\n    from harness.run import order\n    import harness.reports.records\n")
            found = list(imported("harness.findings.lazy", path, self.modules))
        self.assertEqual(found, [("harness.run.order", 2), ("harness.reports.records", 3)])


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of `graph`, iteratively (no recursion limit to meet)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(sorted(component))
    return found
