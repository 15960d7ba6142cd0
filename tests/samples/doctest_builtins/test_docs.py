"""Doctests, run the way CPython's test_doctest and many projects run them: each example's value goes through
sys.displayhook, which sets `builtins._` as in the interactive interpreter. That is the interpreter's doing, not
the test's state: no finding, on any seed."""
import doctest
import unittest


def add(a, b):
    """
    >>> add(1, 2)
    3
    """
    return a + b


def greet(name):
    """
    >>> greet("you")
    'hello you'
    """
    return f"hello {name}"


def load_tests(loader, tests, ignore):
    tests.addTests(doctest.DocTestSuite(__name__))
    return tests


class DisplayTests(unittest.TestCase):
    def test_run_examples(self):
        results = doctest.testmod(verbose=False)
        self.assertEqual(results.failed, 0)
