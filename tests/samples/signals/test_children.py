"""Processes a test starts and leaves: a child, and a grandchild whose parent exited (a double fork); then the
worker is killed (SIGKILL to itself). None of them may outlive the run. Their pids go to HARNESS_SAMPLE_PIDS."""
import os
import signal
import subprocess
import unittest


def _note(pid: int) -> None:
    with open(os.environ["HARNESS_SAMPLE_PIDS"], "a") as file:
        file.write(f"{pid}\n")


class ALeavesChildrenTests(unittest.TestCase):
    def test_leaves_a_sleep(self):
        _note(subprocess.Popen(["sleep", "600"]).pid)

    def test_leaves_a_grandchild(self):
        middle = subprocess.Popen(["sh", "-c", "sleep 600 & echo $!"], stdout=subprocess.PIPE, text=True)
        _note(int(middle.stdout.readline()))
        middle.wait()


class BKillsItsWorkerTests(unittest.TestCase):
    def test_worker_is_killed(self):
        os.kill(os.getpid(), signal.SIGKILL)
