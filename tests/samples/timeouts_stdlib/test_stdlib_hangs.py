"""IsolatedAsyncioTestCase tests past their time limit: cancelled on the test's own loop, the next test runs."""
import asyncio
import unittest

TORN_DOWN = []


async def forgotten():
    await asyncio.Event().wait()  # the forgotten task waits


class AStdlibHangs(unittest.IsolatedAsyncioTestCase):
    timeout = 0.5

    async def test_awaits_forever(self):
        asyncio.ensure_future(forgotten())
        await asyncio.Event().wait()  # the stdlib test waits

    async def asyncTearDown(self):
        TORN_DOWN.append(self.id())


class BStdlibAfter(unittest.IsolatedAsyncioTestCase):
    async def test_runs_after_and_saw_the_teardown(self):
        await asyncio.sleep(0)
        self.assertEqual(TORN_DOWN, ["test_stdlib_hangs.AStdlibHangs.test_awaits_forever"])
