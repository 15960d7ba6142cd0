"""Plain tests that each hold objects on their instance."""
import unittest

from recorder import HELD, record


class SyncTests(unittest.TestCase):
    def setUp(self):
        record()
        self.held = [[] for _ in range(HELD)]


for number in range(60):
    setattr(SyncTests, f"test_{number}", lambda self: None)


class SkippedTests(unittest.TestCase):
    """Skipped and expected-failure tests: unittest's result lists would keep each one."""

    def setUp(self):
        record()
        self.held = [[] for _ in range(HELD)]

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.fail("expected")


for number in range(30):
    setattr(SkippedTests, f"test_skipped_{number}", unittest.skip("on purpose")(lambda self: None))
