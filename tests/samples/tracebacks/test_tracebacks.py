"""Failures whose tracebacks --tb and --locals shape (see tests/test_tracebacks.py)."""
import unittest

import anyio
import helpers

import harness


class ShapesTests(unittest.TestCase):
    def test_fails_in_a_helper(self):
        prices = [1, 2]
        self.assertEqual(helpers.total(prices), 3)

    def test_fails_in_the_standard_library(self):
        text = "{not json"
        helpers.settings(text)

    def test_raises_while_handling(self):
        try:
            {}["missing"]
        except KeyError:
            raise RuntimeError("could not recover")  # noqa: B904 (raised while handling, on purpose)

    def test_long_local(self):
        long_text = "x" * 5000
        self.assertEqual(len(long_text), 1)


class GroupTests(harness.AsyncTestCase):
    async def test_task_group_fails(self):
        async def broken():
            raise ValueError("broken child")

        async with anyio.create_task_group() as group:
            group.start_soon(broken)


class StdlibTests(unittest.IsolatedAsyncioTestCase):
    async def test_stdlib_async_fails(self):
        answer = 41
        self.assertEqual(answer, 42)
