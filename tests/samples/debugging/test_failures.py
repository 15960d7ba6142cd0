"""Failures to look at with --pdb, on every kind of test case (see tests/test_debugging.py)."""
import unittest

import anyio
from loops import Loop

import harness


class PlainTests(unittest.TestCase):
    def test_plain_fails(self):
        answer = 41
        print("printed before the failure")
        self.assertEqual(answer, 42)

    def test_plain_passes(self):
        pass


class LoopTests(harness.AsyncTestCase):
    backends = ("asyncio", "asyncio+uvloop", "trio")

    async def test_async_fails(self):
        answer = 41
        loop = Loop()
        self.assertTrue(loop.is_open())
        self.assertEqual(answer, 42)


class StdlibTests(unittest.IsolatedAsyncioTestCase):
    async def test_stdlib_async_fails(self):
        answer = 41
        loop = Loop()
        self.assertTrue(loop.is_open())
        self.assertEqual(answer, 42)


class LimitedTests(harness.AsyncTestCase):
    """The debugger's time does not count against the test's limit: its asyncTearDown runs after a second in pdb."""

    backends = ("asyncio", "trio")
    timeout = 1

    async def test_limited_fails(self):
        answer = 41
        self.assertEqual(answer, 42)

    async def asyncTearDown(self):
        await anyio.sleep(0.01)
