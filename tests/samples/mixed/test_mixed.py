"""One test of every outcome, a slow one, a chatty one and a leaky one."""
import asyncio
import time
import unittest

import harness


class OutcomeTests(unittest.TestCase):
    def test_passes(self):
        pass

    def test_fails(self):
        self.assertEqual(1, 2)

    def test_errors(self):
        raise KeyError("no such key")

    @unittest.skip("not on this machine")
    def test_skipped(self):
        pass

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    def test_slow(self):
        time.sleep(0.2)

    def test_prints_then_fails(self):
        print("hello from test_prints_then_fails")
        self.fail("after printing")


class LeakyTests(harness.AsyncTestCase):
    async def test_leaves_a_task_running(self):
        self.ticker = asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="ticker")
        await asyncio.sleep(0)
