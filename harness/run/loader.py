"""Targets (directories, files, dotted ids) to a flat list of tests, with backend fan-out and repeats expanded."""
from __future__ import annotations

import copy
import difflib
import fnmatch
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import sys
import traceback
import types
import unittest
from collections.abc import Iterable, Iterator, Sequence

from harness.run.config import UsageError
from harness.run.order import Placement
from harness.testcase.case import AsyncTestCase

_ID = re.compile(r"^(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\[(?P<backend>[^\]]+)\])?$")
_REPETITION = re.compile(r"^(?P<target>.+)#(?P<number>\d+)$")


def load(
    targets: Sequence[str], pattern: str = "test*.py", search: Sequence[str] = (), repeat: int = 1
) -> list[unittest.TestCase]:
    """Every test the targets name, fan-out copies and repetitions included, in discovery order.

    A test that two targets name (a folder and a module in it) is there once, from the first. Tests that one target
    loads are all there, as unittest runs them, even two with the same id (a suite that loads the doctests of two
    implementations of one module, as CPython's test_decimal does). `search` (the testpaths) is where a dotted id is
    also looked up, so that the ids discovery printed for a test folder that is not a package can be given back as
    targets from the project's root. With `repeat` above 1 each test is there that many times, as `id#1`, `id#2`,
    ...; a target ending in `#N` names only the Nth.
    """
    tests: list[unittest.TestCase] = []
    earlier: set[str] = set()  # the ids earlier targets loaded
    for target in targets:
        name, number = _repetition_of(target, repeat)
        loaded = [run for test in _expand(_load_target(name, pattern, search), name)
                  for run in (repetitions(test, repeat) if number is None else [_repetition(test, number)])
                  if test_id(run) not in earlier]
        earlier.update(test_id(run) for run in loaded)
        tests += loaded
    return tests


def repetitions(test: unittest.TestCase, times: int) -> list[unittest.TestCase]:
    """`times` runs of `test`, as `id#1` to `id#times`; the test itself when once, or when its module failed to
    import (that is one failure, not a run)."""
    if times == 1 or isinstance(test, unittest.loader._FailedTest):  # type: ignore[attr-defined]
        return [test]
    return [_repetition(test, number) for number in range(1, times + 1)]


def _repetition(test: unittest.TestCase, number: int) -> unittest.TestCase:
    """A copy of `test` whose id ends in `#number`; same class, so class and module fixtures are shared as usual."""
    twin = copy.copy(test)
    twin._cleanups = []  # type: ignore[attr-defined]  # the copy's own, not a list shared with its siblings
    suffixed = f"{test.id()}#{number}"
    # An instance attribute, so that every id the test gives (subtests, messages about it) carries the suffix.
    twin.id = lambda: suffixed  # type: ignore[method-assign]
    return twin


def _repetition_of(target: str, repeat: int) -> tuple[str, int | None]:
    """A target without its `#N` suffix, and N (None when it has none, which means every repetition)."""
    match = _REPETITION.match(target)
    if match is None or os.path.exists(target):
        return target, None
    number = int(match["number"])
    if repeat == 1:
        raise UsageError(f"target {target!r} names run #{number} of a repeated test, but --repeat is not given; "
                         f"add --repeat {max(number, 2)}, or leave out '#{number}'")
    if not 1 <= number <= repeat:
        raise UsageError(f"target {target!r} names run #{number}, but --repeat {repeat} runs #1 to #{repeat}")
    return match["target"], number


def select(tests: Iterable[unittest.TestCase], keywords: Sequence[str]) -> list[unittest.TestCase]:
    """Tests whose id matches any `-k` pattern: a substring, or a glob when it has `*` or `?`.

    Brackets are literal, so `-k "[trio]"` picks the trio runs of fanned-out tests.
    """
    if not keywords:
        return list(tests)
    literal = [k.replace("[", "[[]") for k in keywords]
    globs = [k if any(c in k for c in "*?") else f"*{k}*" for k in literal]
    return [t for t in tests if any(fnmatch.fnmatchcase(test_id(t), g) for g in globs)]


def exactly(tests: Sequence[unittest.TestCase], ids: Sequence[str], where: str) -> list[unittest.TestCase]:
    """The tests whose id is one of `ids` (`--id`), every test of such an id, and under --repeat every run of it
    (`id#1`, `id#2`, ...); a UsageError naming the first id that is not among them, with the closest ids, when one
    is missing."""
    wanted = set(ids)
    kept = [test for test in tests if not wanted.isdisjoint(_names_of(test))]
    found = {name for test in kept for name in _names_of(test)}
    missing = [given for given in dict.fromkeys(ids) if given not in found]
    if missing:
        collected = [test_id(test) for test in tests]
        more = f" (nor are {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise UsageError(f"--id {missing[0]!r} is not one of the {len(collected)} tests collected from {where}{more}; "
                         + closest(missing[0], collected))
    return kept


def _names_of(test: unittest.TestCase) -> tuple[str, ...]:
    """The ids `--id` knows a test by: its own, and for a run of a repeated test (`id#2`) the test's."""
    own = test_id(test)
    repetition = _REPETITION.match(own)
    return (own, repetition["target"]) if repetition else (own,)


def closest(test_id: str, collected: Sequence[str]) -> str:
    """A hint for an id that is not among `collected`: the ids it is likely a part or a misspelling of."""
    collected = list(dict.fromkeys(collected))
    near = [other for other in collected if other.startswith(test_id + "[") or other.endswith("." + test_id)]
    near += [other for other in difflib.get_close_matches(test_id, collected, n=3, cutoff=0.8) if other not in near]
    if near:
        return f"did you mean {' or '.join(map(repr, near[:3]))}?"
    return f"give a test id as the run printed it, such as {collected[0]!r}" if collected else "no test was collected"


def named_by_id(test: unittest.TestCase) -> bool:
    """Whether the test's id, given as a target, loads this test: a method of a class that its module holds under the
    class's own name. Not so for a doctest, a FunctionTestCase, or a class made under another name than the one it is
    kept under (CPython's test_importlib makes `Source_PathHookTests` and keeps it as `Source_PathHooksTests`)."""
    if isinstance(test, unittest.loader._FailedTest) or skipped_at_import(test):  # type: ignore[attr-defined]
        return True  # its id is the module's name, which loads it
    cls = type(test)
    repetition = _REPETITION.match(test_id(test))
    named = _ID.match(repetition["target"] if repetition else test_id(test))
    method = getattr(test, "_testMethodName", "")
    if named is None or named["name"] != f"{cls.__module__}.{cls.__qualname__}.{method}":
        return False
    found: object = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is cls and callable(getattr(cls, method, None))


def test_id(test: unittest.TestCase) -> str:
    """The id users see: a module that failed to import, or skipped itself at import, is named by its module, not by
    unittest's stand-in."""
    if isinstance(test, unittest.loader._FailedTest) or skipped_at_import(test):  # type: ignore[attr-defined]
        return test._testMethodName
    return test.id()


test_id.__test__ = False  # type: ignore[attr-defined]


def failed_to_load(test: unittest.TestCase) -> bool:
    """Whether `test` stands for a module or name that could not be loaded (unittest's `_FailedTest`): running it
    reports why, and runs none of the project's code."""
    return isinstance(test, unittest.loader._FailedTest)  # type: ignore[attr-defined]


def skipped_at_import(test: unittest.TestCase) -> bool:
    """Whether `test` stands for a module that raised unittest.SkipTest while being imported: unittest's stand-in
    (`unittest.loader.ModuleSkipped`), a test that reports the skip with its reason."""
    cls = type(test)
    return cls.__name__ == "ModuleSkipped" and cls.__module__ == "unittest.loader"


def placement(test: unittest.TestCase) -> Placement:
    """The module and class a test belongs to, for the order's buckets."""
    if isinstance(test, unittest.loader._FailedTest) or skipped_at_import(test):  # type: ignore[attr-defined]
        name = test._testMethodName
        return Placement(module=name, cls="", test_id=name)
    cls = type(test)
    return Placement(module=cls.__module__, cls=_class_key(test), test_id=test.id())


def _class_key(test: unittest.TestCase) -> str:
    """The class's name, with the backend for a class-scoped class fanned out to several backends: each backend's
    tests then stay together in the order, and share one loop (opening it once) rather than alternating."""
    name = type(test).__qualname__
    if isinstance(test, AsyncTestCase) and test.loop_scope == "class" and type(test).backends:
        return f"{name}[{test.backend_name}]"
    return name


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
    if os.path.isfile(target) and (target.endswith(".py") or not _names_a_module(target)):
        return _load_file(target)
    if os.path.exists(target) and not os.path.isfile(target):
        raise UsageError(f"target {target!r} is neither a directory nor a file: give a directory, a .py file or a "
                         "dotted test id")
    if target.endswith(".py") or os.sep in target or "/" in target:
        raise UsageError(f"target {target!r} does not exist: give a directory, a .py file or a dotted test id")
    return _load_dotted(target, search)


def _names_a_module(target: str) -> bool:
    """Whether `target` is a dotted id whose top-level name can be imported: then it is that, as under unittest,
    even where a file of that name sits in the working directory (a log a test wrote, `test.test_compileall`)."""
    match = _ID.match(target)
    if match is None:
        return False
    _on_path(os.getcwd())
    return _importable_prefix(match["name"])


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
    stem = os.path.basename(path)[:-3]
    if not stem.isidentifier():
        raise UsageError(f"target {path!r} cannot be imported: {stem!r} is not a module name; rename the file to "
                         "letters, digits and underscores")
    folder, packages = _root_of(os.path.dirname(os.path.abspath(path)))
    _on_path(folder)
    name = ".".join([*packages, stem])
    module = _import(name)
    if module is None:
        raise UsageError(f"target {path!r} cannot be imported as module {name!r} from {folder!r}")
    if isinstance(module, unittest.TestSuite):  # it raised while being imported: a failing (or skipped) result
        return module
    return unittest.TestLoader().loadTestsFromModule(module)


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
            raise UsageError(_no_module(target, name, search))
    found = _resolve(target, name)
    if isinstance(found, unittest.TestSuite):  # its module raised while being imported: a failing (or skipped) result
        return found
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


def _no_module(target: str, name: str, search: Sequence[str]) -> str:
    folders = [os.getcwd(), *filter(os.path.isdir, search)]
    where = " or ".join(repr(p) for p in folders)
    known = [module.name for module in pkgutil.iter_modules(folders)]
    return f"target {target!r} names no module that can be found from {where}" + _did_you_mean(
        name.split(".")[0], known)


def _did_you_mean(name: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def _importable_prefix(name: str) -> bool:
    parts = name.split(".")
    try:
        return importlib.util.find_spec(parts[0]) is not None
    except (ImportError, ValueError):
        return False


def _import(module_name: str) -> types.ModuleType | unittest.TestSuite | None:
    """The module; a failing test when it raises while being imported (as discovery does), a skipped one when it
    raises unittest.SkipTest (as discovery does too); None when not found."""
    try:
        return importlib.import_module(module_name)
    except unittest.SkipTest as exc:  # `raise unittest.SkipTest("needs foo")` at module level, as CPython's tests do
        return unittest.loader._make_skipped_test(module_name, exc, unittest.TestSuite)  # type: ignore[attr-defined]
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None  # no such module (it may be a class or a test in a shorter one)
        return _failed_import(module_name, exc)
    except Exception as exc:  # the test module itself is broken: a result of the run, not a usage error
        return _failed_import(module_name, exc)


def _failed_import(module_name: str, exc: Exception) -> unittest.TestSuite:
    """A failing test named after the module, like discovery's, with a traceback that starts in the module."""
    tb = exc.__traceback__
    while tb is not None and _importing(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    message = f"Failed to import test module: {module_name}\n" + "".join(traceback.format_exception(type(exc), exc, tb))
    return unittest.TestSuite([unittest.loader._FailedTest(module_name, ImportError(message))])  # type: ignore[attr-defined]


def _importing(filename: str) -> bool:
    """Whether a frame is this module's or the import system's, not the module being imported."""
    return filename == __file__ or filename.startswith("<frozen importlib") or "importlib" in os.path.basename(
        os.path.dirname(filename))


def _import_longest(parts: Sequence[str]) -> tuple[types.ModuleType | unittest.TestSuite | None, int]:
    """The longest module a dotted name starts with, from the top, and how many parts it takes."""
    module: types.ModuleType | None = None
    depth = 0
    while depth < len(parts) and (module is None or hasattr(module, "__path__")):  # only packages have submodules
        found = _import(".".join(parts[: depth + 1]))
        if found is None:
            break
        if isinstance(found, unittest.TestSuite):
            return found, depth + 1
        module, depth = found, depth + 1
    return module, depth


def _resolve(target: str, name: str) -> object:
    """What a dotted name is, checked to be a test before unittest's loader calls it; a failing test for a
    module that raises on import. unittest would call any callable a name ends on: a target must not run code."""
    parts = name.split(".")
    module, split = _import_longest(parts)
    if not isinstance(module, types.ModuleType):
        return module
    parent: object = None
    obj: object = module
    for depth in range(split, len(parts)):
        parent, obj = obj, _attribute(target, ".".join(parts[:depth]), obj, parts[depth])
    _refuse_non_test(target, parent, obj, parts[-1])
    return obj


def _attribute(target: str, where: str, owner: object, attribute: str) -> object:
    try:
        return getattr(owner, attribute)
    except AttributeError:
        pass
    if isinstance(owner, type) and issubclass(owner, unittest.TestCase):
        names, what = unittest.TestLoader().getTestCaseNames(owner), f"class {where!r} has no test {attribute!r}"
        hint = _did_you_mean(attribute, names) or _listed("its tests", names)
    else:
        names = sorted(n for n, v in vars(owner).items() if isinstance(v, type) and issubclass(v, unittest.TestCase))
        what = f"{where!r} has no attribute {attribute!r}"
        hint = _did_you_mean(attribute, names) or _listed("its test classes", names)
    raise UsageError(f"target {target!r} was not found: {what}{hint}")


def _listed(title: str, names: Sequence[str]) -> str:
    return f"; {title}: {', '.join(names[:5])}" + (", ..." if len(names) > 5 else "") if names else ""


def _refuse_non_test(target: str, parent: object, obj: object, last: str) -> None:
    """A module, a TestCase subclass, a test method of one, or a suite: anything else is not a test."""
    if isinstance(obj, (types.ModuleType, unittest.TestSuite)):
        return
    if isinstance(obj, type) and issubclass(obj, unittest.TestCase):
        if obj in (unittest.TestCase, unittest.FunctionTestCase):
            raise UsageError(f"target {target!r} is unittest's base class, not a test class: name a subclass of it "
                             "that has test methods")
        return
    if isinstance(parent, type) and issubclass(parent, unittest.TestCase) and callable(obj):
        tests = unittest.TestLoader().getTestCaseNames(parent)
        if last in tests or last == "runTest":
            return
        raise UsageError(f"target {target!r} is not a test method: unittest runs methods whose names start with "
                         f"'test'" + (_did_you_mean(last, tests) or _listed("its tests", tests)))
    kind = "a function" if inspect.isfunction(obj) else "a class" if isinstance(obj, type) else (
        f"a {type(obj).__name__} object")
    raise UsageError(f"target {target!r} is {kind}, not a test: name a module, a TestCase class or one of its "
                     "test methods")


def _pick_backend(suite: unittest.TestSuite, target: str, backend: str) -> unittest.TestSuite:
    picked = [t for t in _expand(suite, target) if isinstance(t, AsyncTestCase) and t.backend_name == backend]
    if not picked:
        raise UsageError(f"target {target!r}: this test does not run on backend {backend!r}")
    return unittest.TestSuite(picked)


def _backend_by_backend(tests: list[unittest.TestCase]) -> list[unittest.TestCase]:
    """Discovery order, except that a class-scoped class fanned out to several backends lists each backend's tests
    together (all of the first backend, then the next), so that one class loop is open at a time."""
    def position(index: int) -> tuple[int, int]:
        test = tests[index]
        if isinstance(test, AsyncTestCase) and test.loop_scope == "class" and type(test).backends:
            names = [spec if isinstance(spec, str) else spec[0] for spec in type(test).backends]  # type: ignore[union-attr]
            return (names.index(test.backend_name), index)
        return (0, index)

    if not any(isinstance(t, AsyncTestCase) and t.loop_scope == "class" for t in tests):
        return tests
    runs: list[list[int]] = []
    for index, test in enumerate(tests):
        if runs and type(tests[runs[-1][-1]]) is type(test):
            runs[-1].append(index)
        else:
            runs.append([index])
    return [tests[i] for run in runs for i in sorted(run, key=position)]


def _expand(suite: unittest.TestSuite | unittest.TestCase, target: str) -> Iterator[unittest.TestCase]:
    if isinstance(suite, unittest.TestSuite):
        yield from _backend_by_backend([test for item in suite for test in _expand(item, target)])
    elif isinstance(suite, AsyncTestCase):
        yield from suite.fan_out()
    elif isinstance(suite, unittest.TestCase):
        yield suite
    else:
        raise UsageError(f"target {target!r} produced {suite!r}, which is not a unittest test")
