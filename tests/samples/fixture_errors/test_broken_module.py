"""A module fixture that fails: its tests do not run."""
import unittest


def setUpModule():
    raise OSError("no network")


class NeverRunTests(unittest.TestCase):
    def test_never_runs(self):
        pass
