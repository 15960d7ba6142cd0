"""Tests that set an interpreter hook back to Python's default (pyparsing's testSetBreak ends with
`sys.breakpointhook = sys.__breakpointhook__`): under plain unittest the hook already was that, so no finding.
A hook replaced by something else is still reported. The last test checks what every test sees on arrival."""
import sys
import unittest
import warnings


def mock_set_trace(*args, **kwargs):
    pass


def my_showwarning(*args, **kwargs):
    pass


class DefaultHooksTests(unittest.TestCase):
    def test_breakpointhook_set_back_to_default(self):
        sys.breakpointhook = mock_set_trace
        sys.breakpointhook = sys.__breakpointhook__

    def test_showwarning_set_back_to_default(self):
        warnings.showwarning = warnings._showwarning_orig

    def test_excepthook_replaced(self):
        sys.excepthook = mock_set_trace

    def test_showwarning_replaced(self):
        warnings.showwarning = my_showwarning

    def test_hooks_are_not_the_tests(self):
        function = getattr(sys.breakpointhook, "__func__", sys.breakpointhook)
        print("breakpointhook from", getattr(function, "__module__", None))  # harness's own, under harness
        self.assertIsNot(sys.breakpointhook, mock_set_trace)
        self.assertIsNot(sys.excepthook, mock_set_trace)
        self.assertIsNot(warnings.showwarning, my_showwarning)
