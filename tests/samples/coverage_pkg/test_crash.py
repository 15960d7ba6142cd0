import os
import unittest

from calc import ops


class CrashTests(unittest.TestCase):
    def test_before_the_crash(self):
        self.assertEqual(ops.before_crash(), "before")

    def test_crash(self):
        os._exit(3)
