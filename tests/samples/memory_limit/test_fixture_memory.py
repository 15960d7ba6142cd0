"""A class fixture that allocates without end: the limit stops it before the class's tests, and the rest runs."""
import time
import unittest

STEP = 16 * 1024 * 1024


class FixtureGrowsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        held = []
        while True:
            block = bytearray(STEP)
            block[::4096] = b"x" * (STEP // 4096)
            held.append(block)
            time.sleep(0.005)

    def test_never_runs(self):
        self.fail("setUpClass never returns")


class AfterTests(unittest.TestCase):
    def test_runs(self):
        self.assertEqual(1 + 1, 2)
