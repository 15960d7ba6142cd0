"""Tests that take their process down, each a different way; the tests after them must still run."""
import os
import signal
import sys
import threading
import time
import unittest


class CrashTests(unittest.TestCase):
    def test_os_exit(self):
        print("last words before os._exit")
        os._exit(3)

    def test_segfault(self):
        print("about to segfault")
        os.kill(os.getpid(), signal.SIGSEGV)

    def test_killed(self):  # what the out-of-memory killer does
        os.kill(os.getpid(), signal.SIGKILL)

    def test_sys_exit(self):
        sys.exit(2)

    def test_passes(self):
        self.assertTrue(True)


class HangTests(unittest.TestCase):
    timeout = 0.5

    def test_sleeps_forever(self):
        stop = threading.Event()
        helper = threading.Thread(target=stop.wait, name="helper-waiting", daemon=True)
        helper.start()
        while True:
            time.sleep(0.05)

    def test_passes_after_the_hang(self):
        self.assertTrue(True)
