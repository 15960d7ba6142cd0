"""A suite that clears the warnings registry of its own module, as CPython's test_warnings does: the interpreter
writes `__warningregistry__` into the globals of whatever module a warning is attributed to, so every test that
warns makes it again. Not the test's state: no finding, on any seed."""
import unittest
import warnings


def reset_registry():
    global __warningregistry__
    __warningregistry__ = {}


class RegistryTests(unittest.TestCase):
    def test_warns_once(self):
        reset_registry()
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("default")
            warnings.warn("first", UserWarning, stacklevel=1)
        self.assertEqual(len(seen), 1)

    def test_warns_again(self):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("default")
            warnings.warn("second", UserWarning, stacklevel=1)
        self.assertEqual(len(seen), 1)

    def test_deletes_the_registry(self):
        warnings.warn("third", UserWarning, stacklevel=1)
        globals().pop("__warningregistry__", None)

    def test_quiet(self):
        pass
