"""The same leak under harness.AsyncTestCase: a task on the loop, and one in self.task_group on each backend."""
import asyncio

import anyio

import harness


class Cache:
    def __init__(self):
        self.items = {}
        self._task = None

    async def start(self):
        self._task = asyncio.get_running_loop().create_task(self._expire_loop())

    def start_in(self, task_group):
        task_group.start_soon(self._expire_loop)

    async def _expire_loop(self):
        while True:
            await anyio.sleep(3600)
            self.items.clear()


class LoopTaskTests(harness.AsyncTestCase):
    async def test_start_leaves_expiry_running(self):
        await Cache().start()
        await asyncio.sleep(0)

    async def test_clean(self):
        await asyncio.sleep(0)


class TaskGroupTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_started_expiry_left_in_task_group(self):
        Cache().start_in(self.task_group)
        await anyio.sleep(0.01)


class UnstartedTaskGroupTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_expiry_left_before_it_ever_ran(self):
        Cache().start_in(self.task_group)
