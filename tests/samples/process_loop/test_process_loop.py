"""One event loop for the process, made by the first asyncio.get_event_loop() and used by every test (as slixmpp's
SlixTest and many older suites do), mixed with tests that run on loops of their own: harness.AsyncTestCase, per
test and per class, on asyncio and uvloop. Green under unittest in this file's order.

The process loop is reported once, by the test that made it, and kept; the other tests report nothing. (Not mixed
with IsolatedAsyncioTestCase or asyncio.run(): run before the first get_event_loop(), they leave asyncio saying
that a loop was set, and it raises then, under plain unittest too: see the import_loop sample.)"""
import asyncio
import importlib.util
import unittest

import harness

LOOPS = []  # every loop a process-loop test ran on


def run(coro):
    loop = asyncio.get_event_loop()
    LOOPS.append(loop)
    return loop.run_until_complete(coro)


async def double(x):
    await asyncio.sleep(0)
    return 2 * x


class ProcessLoopTests(unittest.TestCase):
    def test_first(self):
        self.assertEqual(run(double(1)), 2)

    def test_second(self):
        self.assertEqual(run(double(2)), 4)

    def test_third(self):
        self.assertEqual(run(double(3)), 6)

    def test_one_loop_for_all(self):
        run(double(4))
        self.assertEqual(len(set(map(id, LOOPS))), 1)


class HarnessAsyncTests(harness.AsyncTestCase):
    async def test_c(self):
        await asyncio.sleep(0)

    async def test_d(self):
        await asyncio.sleep(0)


class ClassLoopTests(harness.AsyncTestCase):
    loop_scope = "class"

    async def test_e(self):
        await asyncio.sleep(0)

    async def test_f(self):
        await asyncio.sleep(0)


@unittest.skipUnless(importlib.util.find_spec("uvloop"), "uvloop is not installed")
class UvloopTests(harness.AsyncTestCase):
    backend = "asyncio+uvloop"

    async def test_g(self):
        await asyncio.sleep(0)

