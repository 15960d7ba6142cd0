"""A sync test that hangs, then tests after it in the same module (one worker under -j 2)."""
import time
import unittest


class AHangsTests(unittest.TestCase):
    timeout = 0.5

    def test_1_hangs(self):
        while True:
            time.sleep(0.05)

    def test_2_after(self):
        time.sleep(1.0)
