"""How much faster a 100-test class runs on one class-scoped loop than on a loop per test.

usage: python bench/class_scope.py [--tests 100] [--setup-ms 20] [--repeat 3] [--check]

Writes one module with two copies of the same class per backend (asyncio, trio): one with
`loop_scope = "class"`, whose fixture runs once in asyncSetUpClass, and one with a loop per test, whose
fixture runs in asyncSetUp for every test. The fixture is what a class shares in practice: a TCP echo
server and a connection to it, plus `--setup-ms` of waiting for it to be ready (a database pool's
warm-up, say). Each test sends a line and reads it back. Times `python -m harness FILE -k CLASS`, whole
process, best of the runs, and prints the ratio (per-test time / class time) per backend. Target: at
least 3. `--setup-ms 0` shows what the loops alone cost.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from timed_run import timed_harness

TARGET = 3.0
EXIT_MISSED = 1

SUITE = '''
import anyio

import harness

SETUP = {setup}


async def echo(stream):
    async with stream:
        async for data in stream:
            await stream.send(data)


async def serve(listener, task_status=anyio.TASK_STATUS_IGNORED):
    stopped = anyio.Event()
    try:
        with anyio.CancelScope() as scope:
            task_status.started((scope, stopped))
            await listener.serve(echo)
    finally:
        stopped.set()


async def open_fixture(group):
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    serving = await group.start(serve, listener)
    client = await anyio.connect_tcp("127.0.0.1", listener.extra(anyio.abc.SocketAttribute.local_port))
    await anyio.sleep(SETUP)  # the resource getting ready
    return listener, client, serving


async def close_fixture(listener, client, serving):
    scope, stopped = serving
    await client.aclose()
    scope.cancel()
    await stopped.wait()
    await listener.aclose()


class Checks:
    async def round_trip(self):
        await self.client.send(b"ping")
        self.assertEqual(await self.client.receive(), b"ping")

{methods}


class PerTest{backend}(Checks, harness.AsyncTestCase):
    backend = "{name}"

    async def asyncSetUp(self):
        self.fixture = await open_fixture(self.task_group)
        self.client = self.fixture[1]

    async def asyncTearDown(self):
        await close_fixture(*self.fixture)


class PerClass{backend}(Checks, harness.AsyncTestCase):
    backend = "{name}"
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.fixture = await open_fixture(cls.class_task_group)
        cls.client = cls.fixture[1]

    @classmethod
    async def asyncTearDownClass(cls):
        await close_fixture(*cls.fixture)
'''


def write_suite(folder: Path, tests: int, setup_ms: float) -> None:
    methods = "\n".join(f"    async def test_{i}(self):\n        await self.round_trip()\n" for i in range(tests))
    for backend, name in (("Asyncio", "asyncio"), ("Trio", "trio")):
        (folder / f"test_{name}.py").write_text(
            SUITE.format(setup=setup_ms / 1000, methods=methods, backend=backend, name=name), encoding="utf-8"
        )


def run_once(folder: Path, module: str, cls: str, tests: int) -> float:
    return timed_harness(folder, [f"{module}.{cls}", "--seed", "1", "-q"], tests)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--setup-ms", type=float, default=20.0, help="milliseconds the fixture waits (default 20)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true", help=f"exit {EXIT_MISSED} when a ratio misses {TARGET}")
    args = parser.parse_args(argv)
    missed = False
    print(f"{args.tests} tests in one class, a fixture of a TCP echo server, a connection and {args.setup_ms:g} ms "
          f"of warm-up; Python {sys.version.split()[0]}; whole process, best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="harness-bench-class-scope-") as name:
        folder = Path(name)
        write_suite(folder, args.tests, args.setup_ms)
        for backend, module in (("Asyncio", "test_asyncio"), ("Trio", "test_trio")):
            run_once(folder, module, f"PerClass{backend}", args.tests)  # warm-up: bytecode written, files cached
            per_test, per_class = [], []
            for _ in range(args.repeat):
                per_test.append(run_once(folder, module, f"PerTest{backend}", args.tests))
                per_class.append(run_once(folder, module, f"PerClass{backend}", args.tests))
            ratio = min(per_test) / min(per_class)
            verdict = "PASS" if ratio >= TARGET else "MISS"
            missed = missed or ratio < TARGET
            print(f"{backend.lower():8} loop per test {min(per_test):7.3f} s   class loop {min(per_class):7.3f} s   "
                  f"ratio {ratio:5.2f}x   target >= {TARGET:g}  {verdict}")
    return EXIT_MISSED if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
