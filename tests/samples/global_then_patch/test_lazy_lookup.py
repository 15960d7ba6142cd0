"""A test that rebinds its own module's global with `global`, patches it with mock.patch (which restores the value it
found, the rebound one), then puts the original back with `global` again: it leaves nothing changed, and the next
test sees the original (CPython's test_unittest.testmock.testpatch does this). Green under unittest in any order."""
import sys
import unittest
from unittest import mock

something = "original"
THIS = sys.modules[__name__]


class LazyLookupTests(unittest.TestCase):
    def test_global_store_then_patch_then_put_back(self):
        global something
        original = something
        try:
            something = "replacement"
            with mock.patch(f"{__name__}.something", "patched"):
                self.assertEqual(THIS.something, "patched")
            self.assertEqual(something, "replacement")
        finally:
            something = original

    def test_sees_the_original(self):
        self.assertEqual(THIS.something, "original")

    def test_sees_the_original_too(self):
        self.assertEqual(THIS.something, "original")
