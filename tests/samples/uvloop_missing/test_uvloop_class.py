"""A class on asyncio+uvloop, and one on plain asyncio beside it."""
import asyncio

import harness


class UvloopTests(harness.AsyncTestCase):
    backend = "asyncio+uvloop"

    async def test_runs_on_uvloop(self):
        await asyncio.sleep(0)


class AsyncioTests(harness.AsyncTestCase):
    async def test_runs_on_asyncio(self):
        await asyncio.sleep(0)
