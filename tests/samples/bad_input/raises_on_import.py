"""A module that raises while it is imported (not matched by test*.py, so only named targets load it)."""
import unittest

raise ValueError("broken configuration in raises_on_import")


class NeverLoaded(unittest.TestCase):
    def test_never_runs(self):
        pass
