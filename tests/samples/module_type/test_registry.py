"""A suite that checks the exact type of its own package's modules (zope.interface's `Provides` repr does:
`self._cls is ModuleType`), and a test that rebinds one of its package's module attributes and leaves it.
Green under unittest in any order but one: test_leaves_mode_fast before test_mode_is_slow, which harness
reports and puts back."""
import sys
import types
import unittest

from shapes import registry


class RegistryTests(unittest.TestCase):
    def test_own_modules_are_plain_modules(self):
        self.assertIs(type(registry), types.ModuleType)
        self.assertEqual(registry.kind_of(registry), "module")
        self.assertEqual(registry.kind_of(sys.modules[__name__]), "module")

    def test_leaves_mode_fast(self):
        registry.MODE = "fast"

    def test_mode_is_slow(self):
        self.assertEqual(registry.MODE, "slow")
