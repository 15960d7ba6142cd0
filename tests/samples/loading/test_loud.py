"""Prints as it is imported; with LOADING_SAMPLE_EXIT set, ends the process as it is imported instead."""
import os
import unittest

print("test_loud imported")
if os.environ.get("LOADING_SAMPLE_EXIT"):
    os._exit(7)


class LoudTests(unittest.TestCase):
    def test_one(self):
        pass
