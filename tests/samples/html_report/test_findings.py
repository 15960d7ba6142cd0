"""A test that leaves a task running, one that changes os.environ, and a clean neighbour."""
import asyncio
import os
import unittest

import harness


class LeakyTests(harness.AsyncTestCase):
    async def test_leaves_a_task_running(self):
        asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="ticker")
        await asyncio.sleep(0)


class EnvironTests(unittest.TestCase):
    def test_sets_a_variable(self):
        os.environ["HTML_SAMPLE_MODE"] = "debug"

    def test_clean(self):
        pass
