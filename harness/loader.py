"""Targets (directories, files, dotted ids) to a flat list of tests, with backend fan-out expanded."""
from __future__ import annotations

import fnmatch
import importlib
import importlib.util
import inspect
import os
import re
import sys
import unittest
from collections.abc import Iterable, Iterator, Sequence

from harness.case import AsyncTestCase
from harness.config import UsageError
from harness.order import Placement

_ID = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)(?:\[(?P<backend>[^\]]+)\])?$")


def load(
    targets: Sequence[str], pattern: str = "test*.py", search: Sequence[str] = ()
) -> list[unittest.TestCase]:
    """Every test the targets name, once each, fan-out copies included, in discovery order.

    `search` (the testpaths) is where a dotted id is also looked up, so that the ids discovery printed for
    a test folder that is not a package can be given back as targets from the project's root.
    """
    tests: list[unittest.TestCase] = []
    seen: set[str] = set()
    for target in targets:
        for test in _expand(_load_target(target, pattern, search), target):
            if test_id(test) not in seen:
                seen.add(test_id(test))
                tests.append(test)
    return tests


def select(tests: Iterable[unittest.TestCase], keywords: Sequence[str]) -> list[unittest.TestCase]:
    """Tests whose id matches any `-k` pattern: a substring, or a glob when it has `*` or `?`.

    Brackets are literal, so `-k "[trio]"` picks the trio runs of fanned-out tests.
    """
    if not keywords:
        return list(tests)
    literal = [k.replace("[", "[[]") for k in keywords]
    globs = [k if any(c in k for c in "*?") else f"*{k}*" for k in literal]
    return [t for t in tests if any(fnmatch.fnmatchcase(test_id(t), g) for g in globs)]


def test_id(test: unittest.TestCase) -> str:
    """The id users see: a module that failed to import is named by its module, not by unittest's stand-in."""
    if isinstance(test, unittest.loader._FailedTest):  # type: ignore[attr-defined]
        return test._testMethodName
    return test.id()


test_id.__test__ = False  # type: ignore[attr-defined]


def placement(test: unittest.TestCase) -> Placement:
    """The module and class a test belongs to, for the order's buckets."""
    if isinstance(test, unittest.loader._FailedTest):  # type: ignore[attr-defined]
        name = test._testMethodName
        return Placement(module=name, cls="", test_id=name)
    cls = type(test)
    return Placement(module=cls.__module__, cls=cls.__qualname__, test_id=test.id())


def backend_of(test: unittest.TestCase) -> str | None:
    """The backend a test runs on, None for a sync test."""
    if isinstance(test, AsyncTestCase):
        return test.backend_name
    if isinstance(test, unittest.IsolatedAsyncioTestCase):
        return "asyncio"
    return None


# -- targets --------------------------------------------------------------------------------------------
def _load_target(target: str, pattern: str, search: Sequence[str]) -> unittest.TestSuite:
    if os.path.isdir(target):
        return _discover(target, pattern)
    if os.path.isfile(target):
        return _load_file(target)
    if target.endswith(".py") or os.sep in target or "/" in target:
        raise UsageError(f"target {target!r} does not exist: give a directory, a .py file or a dotted test id")
    return _load_dotted(target, search)


def _root_of(path: str) -> tuple[str, list[str]]:
    """The first folder above `path` that is not a package, and the package names below it."""
    folder = os.path.abspath(path)
    names: list[str] = []
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder, name = os.path.split(folder)
        names.insert(0, name)
    return folder, names


def _on_path(folder: str) -> None:
    if folder not in sys.path:
        sys.path.insert(0, folder)


def _discover(directory: str, pattern: str) -> unittest.TestSuite:
    top, _ = _root_of(directory)
    _on_path(top)
    try:
        return unittest.TestLoader().discover(os.path.abspath(directory), pattern=pattern, top_level_dir=top)
    except ImportError as exc:  # a folder unittest cannot import as laid out
        raise UsageError(f"cannot discover tests in {directory!r}: {exc}") from None


def _load_file(path: str) -> unittest.TestSuite:
    if not path.endswith(".py"):
        raise UsageError(f"target {path!r} is not a Python file: give a directory, a .py file or a dotted test id")
    folder, packages = _root_of(os.path.dirname(os.path.abspath(path)))
    _on_path(folder)
    module = ".".join([*packages, os.path.basename(path)[:-3]])
    return unittest.TestLoader().loadTestsFromName(module)


def _load_dotted(target: str, search: Sequence[str]) -> unittest.TestSuite:
    match = _ID.match(target)
    if match is None:
        raise UsageError(f"target {target!r} is not a directory, a .py file or a dotted test id")
    name = match["name"]
    _on_path(os.getcwd())
    if not _importable_prefix(name):
        for folder in search:  # a test folder without __init__.py: its modules are top-level names
            if os.path.isdir(folder):
                _on_path(_root_of(folder)[0] if _is_package(folder) else os.path.abspath(folder))
        if not _importable_prefix(name):
            where = " or ".join(repr(p) for p in [os.getcwd(), *filter(os.path.isdir, search)])
            raise UsageError(f"target {target!r} names no module that can be found from {where}")
    _refuse_plain_function(target, name)
    loader = unittest.TestLoader()
    try:
        suite = loader.loadTestsFromName(name)
    except Exception as exc:  # loadTestsFromName raises TypeError and friends for non-tests
        raise UsageError(f"target {target!r} is not a test: {exc}") from None
    for message in loader.errors:
        if message.startswith("Failed to access attribute"):
            last = message.strip().splitlines()[-1]
            raise UsageError(f"target {target!r} was not found: {last}")
    return _pick_backend(suite, target, match["backend"]) if match["backend"] else suite


def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def _refuse_plain_function(target: str, name: str) -> None:
    """unittest's loader calls a function a dotted name ends on; a target must not run code while loading."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute, None)
            if obj is None:
                return  # let unittest say what is missing
        if inspect.isfunction(obj) and len(parts) - split < 2:  # a module-level function, not a test method
            raise UsageError(
                f"target {target!r} is a function, not a test: name a module, a TestCase class or one of its "
                "test methods"
            )
        return


def _importable_prefix(name: str) -> bool:
    parts = name.split(".")
    try:
        return importlib.util.find_spec(parts[0]) is not None
    except (ImportError, ValueError):
        return False


def _pick_backend(suite: unittest.TestSuite, target: str, backend: str) -> unittest.TestSuite:
    picked = [t for t in _expand(suite, target) if isinstance(t, AsyncTestCase) and t.backend_name == backend]
    if not picked:
        raise UsageError(f"target {target!r}: this test does not run on backend {backend!r}")
    return unittest.TestSuite(picked)


def _expand(suite: unittest.TestSuite | unittest.TestCase, target: str) -> Iterator[unittest.TestCase]:
    if isinstance(suite, unittest.TestSuite):
        for item in suite:
            yield from _expand(item, target)
    elif isinstance(suite, AsyncTestCase):
        yield from suite.fan_out()
    elif isinstance(suite, unittest.TestCase):
        yield suite
    else:
        raise UsageError(f"target {target!r} produced {suite!r}, which is not a unittest test")
