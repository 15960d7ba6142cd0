"""Handlers for SIGINT and SIGTERM installed in the worker and not put back."""
import signal

import harness


def swallow(signum, frame):
    pass


class HostileTests(harness.TestCase):
    def test_installs_handlers(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, swallow)


class InnocentTests(harness.TestCase):
    def test_signals_are_handled_as_before(self):
        handler = signal.getsignal(signal.SIGINT)  # Python's own in a worker; harness's Ctrl-C handler in one process
        ours = getattr(handler, "__module__", None) == "harness.run.interrupts"
        self.assertTrue(handler is signal.default_int_handler or ours, handler)
        self.assertIsNot(signal.getsignal(signal.SIGTERM), swallow)
        self.assertNotEqual(signal.getsignal(signal.SIGTERM), signal.SIG_IGN)
