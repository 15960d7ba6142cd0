"""The floor: what running the workload costs with nothing but a fresh event loop per test.

Run in a `harness_async` or `harness_trio` workload folder (`python floor.py asyncio|trio`), it imports the
test modules and calls every test method in a loop of its own (`trio.run`, or a new asyncio loop closed
after), with no unittest result, no teardown checks, no probes, no worker process and no report. No runner
that gives each test its own loop can be faster, so the ratio of this floor to another runner bounds what
any target against that runner can ask for.
"""
from __future__ import annotations

import asyncio
import importlib
import os
import sys
import unittest
from collections.abc import Callable, Coroutine
from typing import Any

Body = Callable[[], Coroutine[Any, Any, None]]


def on_asyncio(body: Body) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(body())
    finally:
        loop.close()


def on_trio(body: Body) -> None:
    import trio

    trio.run(body)


def tests_here() -> list[Body]:
    """Every test method of every TestCase in the folder's test*.py modules, bound to a fresh instance."""
    sys.path.insert(0, os.getcwd())
    bodies: list[Body] = []
    loader = unittest.TestLoader()
    for name in sorted(entry[:-3] for entry in os.listdir(".") if entry.startswith("test") and entry.endswith(".py")):
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if isinstance(cls, type) and issubclass(cls, unittest.TestCase) and cls.__module__ == name:
                bodies += [getattr(cls(method), method) for method in loader.getTestCaseNames(cls)]
    return bodies


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("asyncio", "trio"):
        print("usage: python floor.py asyncio|trio (in a harness_async or harness_trio workload folder)",
              file=sys.stderr)
        return 2
    run = on_trio if argv[0] == "trio" else on_asyncio
    bodies = tests_here()
    for body in bodies:
        run(body)
    print(f"{len(bodies)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
