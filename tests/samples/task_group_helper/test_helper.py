"""The tests reach self.task_group only through helpers.start_in_background."""
import anyio
from helpers import start_in_background

import harness


class ThroughAHelper(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_background_work_runs(self):
        done = anyio.Event()

        async def finish():
            done.set()

        start_in_background(self, finish)
        with anyio.fail_after(5):
            await done.wait()

    async def test_a_failing_background_task_fails_the_test(self):
        async def fail():
            raise ValueError("background task failed")

        start_in_background(self, fail)
        await anyio.sleep(10)
