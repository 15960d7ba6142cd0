"""A polluter among tests whose ids do not load them as targets: the victim is a doctest (its id names a function,
not a test), and a class is kept under another name than its own, as CPython's test_importlib keeps its classes.
`--bisect` must still name the polluter, and print a command that reproduces the failure."""
import doctest
import sys
import unittest

SETTINGS = {"mode": "strict"}


def mode():
    """The mode the application runs in.

    >>> mode()
    'strict'
    """
    return SETTINGS["mode"]


class PolluterTests(unittest.TestCase):
    def test_changes_the_mode(self):
        SETTINGS["mode"] = "lenient"  # in place, and never put back: no probe sees it


def _made(name):
    class Made(unittest.TestCase):
        def test_harmless_1(self):
            self.assertEqual(1 + 1, 2)

        def test_harmless_2(self):
            self.assertEqual(2 + 2, 4)

    Made.__name__ = Made.__qualname__ = name
    return Made


MadeTests = _made("MadeTest")  # kept under another name than its own: its ids load nothing


def load_tests(loader, tests, pattern):
    tests.addTest(doctest.DocTestSuite(sys.modules[__name__]))
    return tests
