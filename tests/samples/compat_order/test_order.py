"""A suite that passes only in unittest's alphabetical order: test_b needs what test_a leaves behind."""
import unittest

SEEN = []


class OrderTests(unittest.TestCase):
    def test_a_registers(self):
        SEEN.append("a")

    def test_b_needs_the_registration(self):
        self.assertEqual(SEEN, ["a"])
