"""A task group entered in asyncSetUp and left by its cleanup, on every backend."""
import anyio

import harness


class EnteredTaskGroupTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def asyncSetUp(self):
        self.group = await self.enterAsyncContext(anyio.create_task_group())
        self.done = anyio.Event()
        self.group.start_soon(self._work)

    async def _work(self):
        await anyio.sleep(0)
        self.done.set()

    async def test_the_group_runs_its_task(self):
        await self.done.wait()
        self.assertTrue(self.done.is_set())
