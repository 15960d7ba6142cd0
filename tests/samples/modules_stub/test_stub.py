"""A stub object left in sys.modules by one test and cleaned away by another, as CPython's test_importlib does
(`ReplacingLoader` leaves `object()` as `sys.modules['spam']`; `CleanImport` reads the `__name__` of what it finds):
harness must not put the stub back after the test that cleaned it away. With restore on, no test fails that passes
with --no-restore in the same order."""
import sys
import unittest

NAME = "harness_sample_stub"


class StubTests(unittest.TestCase):
    def test_leaves_a_stub(self):
        sys.modules[NAME] = object()  # an import replaced by a loader, say, and never cleaned up

    def test_cleans_it_away(self):
        sys.modules.pop(NAME, None)

    def test_reads_what_it_finds(self):
        found = sys.modules.get(NAME)
        if found is not None:
            self.assertIsInstance(found.__name__, str)  # what CleanImport does with it
