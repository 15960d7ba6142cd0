"""test_uses_the_csv_plugin needs the plugin that test_registers_the_csv_plugin registers: a hidden dependency."""
import unittest

import registry


class PluginTests(unittest.TestCase):
    def test_registers_the_csv_plugin(self):
        registry.PLUGINS["csv"] = ",".join
        self.assertIn("csv", registry.PLUGINS)

    def test_uses_the_csv_plugin(self):
        self.assertEqual(registry.PLUGINS["csv"](["a", "b"]), "a,b")


def _make(number):
    def test(self):
        self.assertGreaterEqual(number, 0)

    return test


for _number in range(10):
    setattr(PluginTests, f"test_filler_{_number}", _make(_number))
