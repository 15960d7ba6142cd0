"""One event loop for the process, made and set when the module is imported, used by every test through
asyncio.get_event_loop() (as older suites do), mixed with tests that unset it: IsolatedAsyncioTestCase, whose
runner sets its own loop and then none, asyncio.run(), and harness.AsyncTestCase. Green under unittest in this
file's order only (after the first IsolatedAsyncioTestCase or asyncio.run(), get_event_loop() raises "There is no
current event loop"); harness puts the loop back after each of them, on every seed, without a finding."""
import asyncio
import unittest

import harness

LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(LOOP)


async def double(x):
    await asyncio.sleep(0)
    return 2 * x


class AProcessLoopTests(unittest.TestCase):
    def test_first(self):
        self.assertIs(asyncio.get_event_loop(), LOOP)
        self.assertEqual(LOOP.run_until_complete(double(1)), 2)

    def test_second(self):
        self.assertEqual(asyncio.get_event_loop().run_until_complete(double(2)), 4)


class BHarnessAsyncTests(harness.AsyncTestCase):
    async def test_own_loop(self):
        self.assertIsNot(asyncio.get_running_loop(), LOOP)


class CRunnerTests(unittest.TestCase):
    def test_asyncio_run(self):  # Runner.close() unsets the current loop, the process loop with it
        self.assertEqual(asyncio.run(double(5)), 10)


class DStdlibAsyncTests(unittest.IsolatedAsyncioTestCase):
    async def test_own_loop(self):
        self.assertIsNot(asyncio.get_running_loop(), LOOP)
