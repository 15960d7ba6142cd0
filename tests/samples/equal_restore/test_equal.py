"""Tests that put a setting back as an equal value, not the very object (as CPython's test_locale does with
`locale._override_localeconv = {}` in tearDown): no finding. One test leaves a different value: reported."""
import locale
import unittest

import settings


class PutBackEqualTests(unittest.TestCase):
    def setUp(self):
        locale._override_localeconv = {"decimal_point": ","}
        settings.OVERRIDES = {"colour": "red"}
        settings.LEVELS = [3]

    def tearDown(self):
        locale._override_localeconv = {}
        settings.OVERRIDES = {}
        settings.LEVELS = [1, 2]

    def test_decimal_point(self):
        self.assertEqual(locale.localeconv()["decimal_point"], ",")

    def test_colour(self):
        self.assertEqual(settings.OVERRIDES["colour"], "red")


class LeavesADifferentValueTests(unittest.TestCase):
    def test_leaves_mode_fast(self):
        settings.MODE = "fast"
