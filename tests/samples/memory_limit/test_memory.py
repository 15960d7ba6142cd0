"""A test that allocates without end (in steps, so the limit is met quickly), between tests that stay small."""
import time
import unittest

STEP = 16 * 1024 * 1024  # bytes a step: touched page by page, so the memory is really resident


class GrowsTests(unittest.TestCase):
    def test_allocates_without_end(self):
        print("about to allocate without end")
        held = []
        while True:
            block = bytearray(STEP)
            block[::4096] = b"x" * (STEP // 4096)
            held.append(block)
            time.sleep(0.005)


class SmallTests(unittest.TestCase):
    def test_holds_a_little(self):
        block = bytearray(STEP)
        block[::4096] = b"x" * (STEP // 4096)
        self.assertEqual(len(block), STEP)

    def test_holds_nothing(self):
        self.assertEqual(1 + 1, 2)
