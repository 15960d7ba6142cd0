"""One event loop for the process, made by asyncio.get_event_loop(), as many older suites do; green under unittest."""
import asyncio
import unittest


def run(coro):
    return asyncio.get_event_loop().run_until_complete(coro)


async def double(x):
    await asyncio.sleep(0)
    return 2 * x


class OneLoopTests(unittest.TestCase):
    def test_first(self):
        self.assertEqual(run(double(1)), 2)

    def test_second(self):
        self.assertEqual(run(double(2)), 4)

    def test_third(self):
        self.assertEqual(run(double(3)), 6)


class MoreOneLoopTests(unittest.TestCase):
    def test_fourth(self):
        self.assertEqual(run(double(4)), 8)

    def test_fifth(self):
        self.assertEqual(run(double(5)), 10)
