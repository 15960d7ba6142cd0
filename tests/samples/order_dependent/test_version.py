"""test_version_alpha_special_case patches a class attribute and never restores it."""
import sys
import unittest


class PythonVersion:
    def value(self):
        return sys.version_info

    @staticmethod
    def format(value):
        if value[2] == 0 and value[3] == "alpha":
            return f"{value[0]}.{value[1]}.{value[2]}a{value[4]}"
        return f"{value[0]}.{value[1]}"


class VersionTests(unittest.TestCase):
    def test_value_is_right(self):
        self.assertEqual(PythonVersion().value(), sys.version_info)

    def test_formatter(self):
        expected = f"{sys.version_info[0]}.{sys.version_info[1]}"
        self.assertEqual(PythonVersion.format(PythonVersion().value()), expected)

    def test_version_alpha_special_case(self):
        def returns_alpha(self):
            return (3, 99, 0, "alpha", 1)

        PythonVersion.value = returns_alpha
        self.assertEqual(PythonVersion.format(PythonVersion().value()), "3.99.0a1")
