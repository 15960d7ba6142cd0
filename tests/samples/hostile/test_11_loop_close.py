"""loop.close() and loop.stop() called by the test on the loop harness runs it on."""
import asyncio
import unittest

import harness


class HostileInSetUpTests(harness.AsyncTestCase):
    def setUp(self):
        asyncio.get_event_loop().close()

    async def test_cannot_run(self):
        pass


class HostileTests(harness.AsyncTestCase):
    async def test_closes_the_running_loop(self):
        asyncio.get_running_loop().close()

    def test_closes_the_loop_between_parts(self):
        asyncio.get_event_loop().close()

    async def test_stops_the_loop(self):
        asyncio.get_running_loop().stop()
        await asyncio.sleep(0)


class InnocentTests(harness.AsyncTestCase):
    async def test_runs_on_a_fresh_loop(self):
        loop = asyncio.get_running_loop()
        self.assertFalse(loop.is_closed())
        await asyncio.sleep(0)


class IsolatedHostileTests(unittest.IsolatedAsyncioTestCase):
    async def test_stops_the_loop(self):
        asyncio.get_running_loop().stop()
        await asyncio.sleep(0)


class IsolatedInnocentTests(unittest.IsolatedAsyncioTestCase):
    async def test_runs_on_a_fresh_loop(self):
        self.assertFalse(asyncio.get_running_loop().is_closed())
        await asyncio.sleep(0)
