"""A test that kills its process right after writing to fd 1 and fd 2 without sys.stdout; then one that passes."""
import os
import signal
import subprocess
import unittest


class CrashTests(unittest.TestCase):
    def test_writes_then_is_killed(self):
        print("print before the kill")
        os.write(1, b"fd 1 before the kill\n")
        subprocess.run(["sh", "-c", "echo child stderr before the kill >&2"], check=True)
        os.kill(os.getpid(), signal.SIGKILL)

    def test_writes_then_exits(self):
        os.write(2, b"fd 2 before os._exit\n")
        os._exit(3)

    def test_zpasses(self):
        print("print of test_zpasses")
