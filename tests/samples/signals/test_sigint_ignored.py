"""CPython's test_break skips its tests when SIGINT is ignored (a run under nohup, or a shell's background job):
green under unittest either way, and the same outcome under harness."""
import signal
import unittest


class IgnoredSigintTests(unittest.TestCase):
    def test_needs_sigint_not_ignored(self):
        if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
            self.skipTest("test requires SIGINT to not be ignored")
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)
