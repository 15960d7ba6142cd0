"""A class fixture that raises KeyboardInterrupt itself: its class cannot run, and the run goes on (no endless
restarts of the worker)."""
import unittest


class AInterruptingFixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise KeyboardInterrupt

    def test_never_runs(self):
        pass


class BAfterTests(unittest.TestCase):
    def test_runs(self):
        pass
