"""One class, two backends: every test runs once on asyncio and once on trio."""
import asyncio

import trio

import harness


def running_library():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        trio.lowlevel.current_task()  # raises unless trio is running
        return "trio"
    return "asyncio"


class FanOutTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_runs_on_its_backend(self):
        self.assertEqual(running_library(), self.backend_name)

    async def test_has_a_task_group(self):
        self.assertIsNotNone(self.task_group)
