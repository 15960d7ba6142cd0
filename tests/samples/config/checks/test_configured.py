"""Tests found only through testpaths; one leaves a task running, which strict = true turns into a failure."""
import asyncio

import harness


class ConfiguredTests(harness.AsyncTestCase):
    async def test_leaves_a_task_running(self):
        self.task = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        await asyncio.sleep(0)

    async def test_clean(self):
        await asyncio.sleep(0)
