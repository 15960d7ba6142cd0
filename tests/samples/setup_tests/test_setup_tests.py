"""Tests that set up the tests after them, in unittest's order (pyparsing's test_unit does this): a "test" turns
packrat parsing on and stores the library's context on another test class, whose tests restore it in setUp.

In unittest's order every test passes under plain unittest; harness reports the class attribute the setting test
changed, and must not put it back: half undone (the library's own switch is not seen), the tests after it fail."""
import unittest

import parserlib


class Test02_WithoutPackrat(unittest.TestCase):
    suite_context = None

    def setUp(self):
        self.suite_context.restore()

    def test000_assert_packrat_status(self):
        self.assertFalse(parserlib.packrat_enabled(), "packrat enabled")


class Test03_EnablePackratParsing(unittest.TestCase):
    def runTest(self):
        parserlib.enable_packrat()
        Test02_WithoutPackrat.suite_context = parserlib.Context()


class Test04_WithPackrat(Test02_WithoutPackrat):
    def test000_assert_packrat_status(self):
        self.assertTrue(parserlib.packrat_enabled(), "packrat not enabled")


Test02_WithoutPackrat.suite_context = parserlib.Context()
