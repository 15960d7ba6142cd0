"""200 tests made in a loop; test_137 switches the shared settings to debug, in place, and never back."""
import unittest

import settings

POLLUTER = 137


class ManyTests(unittest.TestCase):
    pass


def _make(number):
    def test(self):
        if number == POLLUTER:
            settings.VALUES["mode"] = "debug"
        self.assertGreaterEqual(number, 0)

    return test


for _number in range(200):
    setattr(ManyTests, f"test_{_number:03}", _make(_number))
