"""Async tests (stdlib's and harness's) that each hold objects on their instance and make tasks."""
import asyncio
import unittest

from recorder import HELD, record

import harness


class StdlibAsyncTests(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        record()
        self.held = [[] for _ in range(HELD)]
        self.task = asyncio.get_running_loop().create_task(asyncio.sleep(0))


class HarnessAsyncTests(harness.AsyncTestCase):
    async def asyncSetUp(self):
        record()
        self.held = [[] for _ in range(HELD)]

    async def asyncTearDown(self):
        self.task = asyncio.get_running_loop().create_task(asyncio.sleep(0))
        await self.task


async def _pass(self):
    await asyncio.sleep(0)


for number in range(60):
    setattr(StdlibAsyncTests, f"test_{number}", _pass)
    setattr(HarnessAsyncTests, f"test_{number}", _pass)
