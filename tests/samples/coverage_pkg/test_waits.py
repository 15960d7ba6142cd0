"""A test that says it has started (a marker file) and waits to be interrupted; skipped unless a run asks for it."""
import os
import time
import unittest

from calc import ops

MARKER = os.environ.get("COVERAGE_SAMPLE_MARKER", "")


class WaitTests(unittest.TestCase):
    @unittest.skipUnless(MARKER, "only when a run sets COVERAGE_SAMPLE_MARKER")
    def test_waits(self):
        self.assertEqual(ops.wait(), "waiting")
        with open(MARKER, "w"):
            pass
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.05)
