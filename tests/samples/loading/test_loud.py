"""Prints as it is imported; with LOADING_SAMPLE_EXIT set, ends the process as it is imported instead, and with
LOADING_SAMPLE_STALL set to a path, creates that file and sleeps (to be interrupted while loading)."""
import os
import time
import unittest

print("test_loud imported")
if os.environ.get("LOADING_SAMPLE_EXIT"):
    os._exit(7)
if os.environ.get("LOADING_SAMPLE_STALL"):
    open(os.environ["LOADING_SAMPLE_STALL"], "w").close()
    time.sleep(60)


class LoudTests(unittest.TestCase):
    def test_one(self):
        pass
