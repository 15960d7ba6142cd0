"""Three failing tests, run with maxfail, tb and tb_locals set in setup.cfg (see tests/test_config.py)."""
import unittest


class FailingTests(unittest.TestCase):
    def test_a(self):
        value = "a"
        self.assertEqual(value, "b")

    def test_b(self):
        value = "b"
        self.assertEqual(value, "c")

    def test_c(self):
        value = "c"
        self.assertEqual(value, "d")
