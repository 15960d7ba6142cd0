"""Two implementations of one module, each with its doctests, loaded the way CPython's test_decimal loads decimal's C
and Python versions: the two doctests of each docstring have the same id, and unittest runs both. Each writes its
implementation's name to descriptor 1, so the captured output tells them apart. With HARNESS_SAMPLE_CRASH=1 a test
before them ends its worker first: the worker that takes over must still run each of them once."""
import doctest
import os
import types
import unittest

SOURCE = r'''
r"""An adder.

>>> import os; _ = os.write(1, IMPLEMENTATION.encode() + b"\n")
>>> add(1, 2)
3
"""


def add(a, b):
    r"""Add two numbers.

    >>> import os; _ = os.write(1, IMPLEMENTATION.encode() + b"\n")
    >>> add(2, 2)
    4
    """
    return a + b
'''


def implementation(name):
    module = types.ModuleType("adder")
    exec(SOURCE, module.__dict__)
    module.IMPLEMENTATION = name
    return module


class Before(unittest.TestCase):
    def test_before_the_doctests(self):
        if os.environ.get("HARNESS_SAMPLE_CRASH") == "1":
            os._exit(3)


def load_tests(loader, tests, pattern):
    for name in ("fast", "pure"):
        tests.addTest(doctest.DocTestSuite(implementation(name)))
    return tests
