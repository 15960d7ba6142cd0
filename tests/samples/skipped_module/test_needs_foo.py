"""A module that skips itself at import, as CPython's test packages do when a feature is missing."""
import unittest

raise unittest.SkipTest("needs foo, which is not installed")


class NeverLoaded(unittest.TestCase):
    def test_never_runs(self):
        raise AssertionError("a skipped module's tests are never loaded")
