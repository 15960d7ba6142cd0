"""100 tests made in a loop. test_042 records a migration and test_077 an import, in place in journal.EVENTS,
which no probe sees; test_013 sets an environment variable, which the probes see, and breaks nothing."""
import os
import unittest

import journal

EVENTS = {42: "migrated", 77: "imported"}
VERBOSE = 13


class StepTests(unittest.TestCase):
    pass


def _make(number):
    def test(self):
        if number in EVENTS:
            journal.record(EVENTS[number])
        if number == VERBOSE:
            os.environ["STEPS_VERBOSE"] = "1"
        self.assertGreaterEqual(number, 0)

    return test


for _number in range(100):
    setattr(StepTests, f"test_{_number:03}", _make(_number))
