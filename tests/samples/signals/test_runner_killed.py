"""A test that notes its worker's pid in HARNESS_SAMPLE_PIDS and sleeps, for its runner to be killed meanwhile."""
import os
import time
import unittest


class SleepsTests(unittest.TestCase):
    def test_notes_its_pid_and_sleeps(self):
        with open(os.environ["HARNESS_SAMPLE_PIDS"], "a") as file:
            file.write(f"{os.getpid()}\n")
        time.sleep(30)
