"""Interval timers left armed: an alarm with SIGALRM ignored (restored together, or the alarm kills a later test),
and a bare alarm that kills whichever test runs when it fires (named in the crash, when restore is off)."""
import signal
import time
import unittest


class AIgnoredAlarmTests(unittest.TestCase):
    def test_arms_an_alarm_with_sigalrm_ignored(self):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.alarm(1)


class BBareAlarmTests(unittest.TestCase):
    def test_arms_an_alarm(self):
        signal.alarm(1)


class CInnocentTests(unittest.TestCase):
    def test_sleeps_past_the_alarm(self):
        time.sleep(1.5)


def _quiet(signum, frame):
    pass


class DRearmsAnArmedAlarmTests(unittest.TestCase):
    """The class arms a long alarm; its test sets it again: how long it had left cannot be put back exactly."""

    @classmethod
    def setUpClass(cls):
        cls.handler = signal.signal(signal.SIGALRM, _quiet)
        signal.setitimer(signal.ITIMER_REAL, 100)

    @classmethod
    def tearDownClass(cls):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, cls.handler)

    def test_sets_the_alarm_again(self):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.alarm(200)
