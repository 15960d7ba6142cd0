"""A class fixture writing to sys.stdout and descriptor 1 (not captured, as before), and a child process started by
asyncio; a module of its own, so that -j 2 runs it in another worker."""
import asyncio
import os
import unittest

import harness


class FixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print("setUpClass print of FixtureTests")
        os.write(1, b"setUpClass fd 1 of FixtureTests\n")

    def test_after_a_fixture(self):
        print("print of test_after_a_fixture")


class AsyncChildTests(harness.AsyncTestCase):
    async def test_asyncio_child(self):
        child = await asyncio.create_subprocess_exec("echo", "asyncio child of test_asyncio_child")
        self.assertEqual(await child.wait(), 0)
