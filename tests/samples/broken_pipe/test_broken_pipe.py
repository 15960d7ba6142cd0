"""A test that waits until the reader of the output has gone, then a class fixture that prints after it."""
import os
import time
import unittest


class AWaitsForTheReaderTests(unittest.TestCase):
    def test_waits_for_the_marker(self):
        marker = os.environ.get("HARNESS_SAMPLE_MARKER")  # created once the reader has closed the pipe
        deadline = time.monotonic() + 30
        while marker and not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.01)


class BPrintsInItsFixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for number in range(1000):  # class fixtures are not captured: this goes to the real stdout
            print(f"setUpClass output line {number}")

    def test_1(self):
        pass

    def test_2(self):
        pass
