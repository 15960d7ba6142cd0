#!/usr/bin/env python3
"""Write one synthetic workload in several dialects, so that test runners can be timed on the same work.

Every async test does a little real work on its loop: it starts a task that sets an Event, waits on the
Event and awaits the task. With `--bulk-modules N`, the first test module also imports a package of N
small modules, as a test suite of a large project would.
usage: gen_suite.py OUTDIR [--modules M] [--tests T] [--dialect NAME ...] [--bulk-modules N]
"""
from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Library = Literal["asyncio", "anyio"]

# The work of one async test, per library. `{check}` becomes the assertion in the dialect's own style.
_BODIES: dict[Library, str] = {
    "asyncio": """\
        event = asyncio.Event()

        async def setter():
            await asyncio.sleep(0)
            event.set()

        task = asyncio.ensure_future(setter())
        await event.wait()
        await task
        {check}
    """,
    "anyio": """\
        event = anyio.Event()

        async def setter():
            await anyio.sleep(0)
            event.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(setter)
            await event.wait()
        {check}
    """,
}
_SYNC_BODY = "self.assertEqual(1 + 1, 2)\n"
_CLASSES_PER_MODULE = 2

# One module of the bulk package: constants, functions (one cached), a class, as a real module defines.
_BULK_MODULE = '''\
"""Module {index} of the bulk package."""
from __future__ import annotations

import functools

RATE = {index}
NAMES = ("alpha", "beta", "gamma")
DEFAULTS = {{"retries": 3, "timeout": 1.5, "index": {index}}}


def scale(value: float) -> float:
    return value * RATE


def label(value: object) -> str:
    return f"{{value!r}} from module {index}"


@functools.lru_cache(maxsize=None)
def lookup(name: str) -> int:
    return NAMES.index(name) + RATE


class Record:
    """A small value class."""

    kind = "record"

    def __init__(self, value: float) -> None:
        self.value = value

    def scaled(self) -> float:
        return scale(self.value)

    def __repr__(self) -> str:
        return f"Record({{self.value!r}})"
'''


@dataclass(frozen=True)
class Dialect:
    """How the users of one runner would write the workload."""

    name: str
    header: str  # the module's imports and module-level settings
    library: Library | None  # the async library the tests use; None for sync tests
    base: str | None = None  # the TestCase class to subclass; None for pytest-style test functions
    class_lines: str = ""  # written at the top of every class, e.g. the backend it runs on
    footer: str = ""  # written at the end of every module, e.g. a fixture
    config: tuple[str, str] | None = None  # a runner settings file (name, text) beside the modules

    @property
    def is_package(self) -> bool:
        """unittest-style folders are packages, as unittest users lay them out; pytest folders are not."""
        return self.base is not None


DIALECTS: dict[str, Dialect] = {
    dialect.name: dialect
    for dialect in (
        Dialect("unittest_async", "import asyncio\nimport unittest\n", "asyncio",
                base="unittest.IsolatedAsyncioTestCase"),
        Dialect("harness_async", "import asyncio\n\nimport harness\n", "asyncio", base="harness.AsyncTestCase"),
        Dialect("harness_trio", "import anyio\n\nimport harness\n", "anyio", base="harness.AsyncTestCase",
                class_lines='    backend = "trio"\n'),
        Dialect("unittest_sync", "import unittest\n", None, base="unittest.TestCase"),
        Dialect("pytest_asyncio", "import asyncio\n\nimport pytest\n\npytestmark = pytest.mark.asyncio\n", "asyncio",
                config=("pytest.ini", "[pytest]\nasyncio_mode = strict\n"
                        "asyncio_default_fixture_loop_scope = function\n")),
        Dialect("pytest_anyio", "import anyio\nimport pytest\n\npytestmark = pytest.mark.anyio\n", "anyio",
                footer='\n\n@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n',
                config=("pytest.ini", "[pytest]\n")),
        Dialect("pytest_trio", "import anyio\nimport pytest\n\npytestmark = pytest.mark.trio\n", "anyio",
                config=("pytest.ini", "[pytest]\ntrio_mode = false\n")),
    )
}


def split(tests: int) -> list[int]:
    """How many tests each class (or group of functions) of a module holds: `tests` in all, none empty."""
    shares = [tests // _CLASSES_PER_MODULE + (i < tests % _CLASSES_PER_MODULE) for i in range(_CLASSES_PER_MODULE)]
    return [share for share in shares if share]


def test_method(dialect: Dialect, index: int) -> str:
    """One test of a TestCase class, indented to sit in the class."""
    if dialect.library is None:
        return f"    def test_{index}(self):\n        {_SYNC_BODY}"
    body = _BODIES[dialect.library].format(check="self.assertTrue(event.is_set())")
    return f"    async def test_{index}(self):\n{textwrap.indent(textwrap.dedent(body), ' ' * 8)}"


def test_function(dialect: Dialect, group: int, index: int) -> str:
    """One pytest-style test function."""
    assert dialect.library is not None, f"dialect {dialect.name!r} has no sync pytest form"
    body = _BODIES[dialect.library].format(check="assert event.is_set()")
    return f"async def test_{group}_{index}():\n{textwrap.indent(textwrap.dedent(body), ' ' * 4)}"


def test_class(dialect: Dialect, group: int, count: int) -> str:
    methods = "\n".join(test_method(dialect, i) for i in range(count))
    class_lines = f"{dialect.class_lines}\n" if dialect.class_lines else ""
    return f"class Test{group}({dialect.base}):\n{class_lines}{methods}"


def module_source(dialect: Dialect, tests: int, imports: str = "") -> str:
    """The text of one test module holding `tests` tests, with `imports` after the dialect's header."""
    if dialect.base is None:
        blocks = [test_function(dialect, group, i) for group, count in enumerate(split(tests)) for i in range(count)]
    else:
        blocks = [test_class(dialect, group, count) for group, count in enumerate(split(tests))]
    return dialect.header + imports + "\n\n" + "\n\n".join(blocks) + dialect.footer


def write_bulk(folder: Path, count: int) -> None:
    """A package `bulk` of `count` small modules in `folder`, whose `__init__` imports them all."""
    package = folder / "bulk"
    package.mkdir(parents=True, exist_ok=True)
    names = [f"mod{index:04d}" for index in range(count)]
    for index, name in enumerate(names):
        (package / f"{name}.py").write_text(_BULK_MODULE.format(index=index))
    (package / "__init__.py").write_text("".join(f"from . import {name}\n" for name in names))


def folder_name(dialect: str, bulk_modules: int = 0) -> str:
    """The folder of a dialect's workload: `harness_async`, or `harness_async_1000mod` with 1,000 bulk modules."""
    return f"{dialect}_{bulk_modules}mod" if bulk_modules else dialect


def write_dialect(folder: Path, dialect: Dialect, modules: int, tests: int, bulk_modules: int = 0) -> None:
    """`modules` test modules of `tests` tests each, with the package marker and settings file the dialect uses.

    With `bulk_modules`, the first test module imports the package of that many modules (see write_bulk).
    """
    folder.mkdir(parents=True, exist_ok=True)
    source = module_source(dialect, tests)
    for index in range(modules):
        (folder / f"test_mod{index}.py").write_text(source)
    if bulk_modules:
        write_bulk(folder, bulk_modules)
        imports = "from . import bulk\n" if dialect.is_package else "import bulk\n"
        (folder / "test_mod0.py").write_text(module_source(dialect, tests, imports))
    if dialect.is_package:
        (folder / "__init__.py").write_text("")
    if dialect.config is not None:
        name, text = dialect.config
        (folder / name).write_text(text)


def write_workload(
    out: Path, modules: int, tests: int, names: Iterable[str] = DIALECTS, bulk_modules: int = 0
) -> dict[str, Path]:
    """The workload in each named dialect, one folder per dialect under `out`; returns them by folder_name."""
    folders: dict[str, Path] = {}
    for name in names:
        if name not in DIALECTS:
            raise ValueError(f"unknown dialect {name!r}; choose from: {', '.join(DIALECTS)}")
        folder = folders[folder_name(name, bulk_modules)] = out / folder_name(name, bulk_modules)
        write_dialect(folder, DIALECTS[name], modules, tests, bulk_modules)
    return folders


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is too small; use 1 or more")
    return value


def natural(text: str) -> int:
    """An argparse type: a whole number of at least 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative; use 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write the dialects' folders into")
    parser.add_argument("--modules", type=positive, default=20, help="test modules per dialect (default 20)")
    parser.add_argument("--tests", type=positive, default=50, help="tests per module (default 50)")
    parser.add_argument("--dialect", dest="dialects", action="append", choices=list(DIALECTS), metavar="NAME",
                        help=f"write only this dialect (repeatable; default all: {', '.join(DIALECTS)})")
    parser.add_argument("--bulk-modules", type=natural, default=0, metavar="N",
                        help="also write a package of N small modules that the first test module imports; "
                             "the folders are then named DIALECT_Nmod (default 0: none)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    folders = write_workload(args.out, args.modules, args.tests, args.dialects or DIALECTS, args.bulk_modules)
    total = args.modules * args.tests
    imported = f", importing {args.bulk_modules:,} bulk modules" if args.bulk_modules else ""
    for name, folder in folders.items():
        print(f"{name}: {total:,} tests{imported} in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
