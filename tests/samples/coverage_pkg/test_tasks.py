import asyncio

from calc import ops

import harness


class TaskTests(harness.AsyncTestCase):
    async def test_task(self):
        task = asyncio.create_task(ops.in_task())
        self.assertEqual(await task, "task")
