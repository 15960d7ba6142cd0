"""A task nothing refers to, left pending, and a garbage collection before the test ends: asyncio holds tasks only
weakly, so without harness holding them the collection would destroy it ("Task was destroyed but it is pending!")."""
import asyncio
import gc
import unittest

import harness


class HarnessTests(harness.AsyncTestCase):
    async def test_leaves_an_unreferenced_task(self):
        asyncio.get_running_loop().create_task(asyncio.Event().wait(), name="unreferenced")
        await asyncio.sleep(0)
        gc.collect()


class StdlibTests(unittest.IsolatedAsyncioTestCase):
    async def test_leaves_an_unreferenced_task(self):
        asyncio.get_running_loop().create_task(asyncio.Event().wait(), name="unreferenced-stdlib")
        await asyncio.sleep(0)
        gc.collect()
