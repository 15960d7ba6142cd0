"""Classes that do and do not pin their backend, for --backend: only the unpinned ones are moved."""
import asyncio
import unittest

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


class SharedBase(harness.AsyncTestCase):
    """A base of the project's own that pins nothing: its subclasses are forced too."""


class UnpinnedSubclassTests(SharedBase):
    async def test_runs_on_the_forced_backend(self):
        self.assertEqual(running_library(), self.backend_name)


class AsyncioOnlyBase(harness.AsyncTestCase):
    backend = "asyncio"


class PinnedByBaseTests(AsyncioOnlyBase):
    async def test_stays_on_asyncio(self):
        self.assertEqual(running_library(), "asyncio")


class PinnedAsyncioTests(harness.AsyncTestCase):
    backend = "asyncio"

    async def test_stays_on_asyncio(self):
        self.assertEqual(running_library(), "asyncio")


class FanOutTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_runs_on_its_own_backend(self):
        self.assertEqual(running_library(), self.backend_name)


class DebugOptionsTests(harness.AsyncTestCase):
    backend = ("asyncio", {"debug": True})

    async def test_keeps_its_backend_and_options(self):
        self.assertEqual(running_library(), "asyncio")
        self.assertTrue(asyncio.get_running_loop().get_debug())


class TrioOptionsTests(harness.AsyncTestCase):
    backend = ("trio", {"restrict_keyboard_interrupt_to_checkpoints": True})

    async def test_stays_on_trio(self):
        self.assertEqual(running_library(), "trio")


class AnyioUvloopSpellingTests(harness.AsyncTestCase):
    backend = ("asyncio", {"use_uvloop": True})

    async def test_runs_on_uvloop(self):
        self.assertEqual(self.backend_name, "asyncio+uvloop")
        self.assertEqual(running_library(), "asyncio+uvloop")


class StdlibTests(unittest.IsolatedAsyncioTestCase):
    async def test_stays_on_asyncio(self):
        self.assertEqual(running_library(), "asyncio")


class SyncTests(harness.TestCase):
    def test_has_no_loop(self):
        with self.assertRaises(RuntimeError):
            asyncio.get_running_loop()


class ForgotToPinTests(harness.AsyncTestCase):
    """Written for asyncio without saying so: a forced trio moves it, and it fails there."""

    async def test_uses_asyncio(self):
        asyncio.get_running_loop()
