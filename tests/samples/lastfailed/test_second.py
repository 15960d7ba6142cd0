"""A second module, so that -j 2 runs the tests in two workers."""
import os
import unittest

FAILING = set(filter(None, os.environ.get("SAMPLE_FAILING", "").split(",")))


class GammaTests(unittest.TestCase):
    def test_c1(self):
        self.assertNotIn("test_c1", FAILING)

    def test_c2(self):
        self.assertNotIn("test_c2", FAILING)
