"""setup.cfg forces trio on the classes that do not pin a backend."""
import asyncio

import trio

import harness


def running_library():
    """The event loop library running this code: asyncio, asyncio+uvloop or trio."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        trio.lowlevel.current_task()  # raises unless trio is running
        return "trio"
    return "asyncio+uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


class UnpinnedTests(harness.AsyncTestCase):
    async def test_runs_on_the_forced_backend(self):
        self.assertEqual(running_library(), self.backend_name)


class PinnedAsyncioTests(harness.AsyncTestCase):
    backend = "asyncio"

    async def test_stays_on_asyncio(self):
        self.assertEqual(running_library(), "asyncio")
