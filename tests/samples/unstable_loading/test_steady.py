import os
import unittest


class Steady(unittest.TestCase):
    def test_a_crashes_when_asked(self):
        if os.environ.get("UNSTABLE_SAMPLE_CRASH"):
            os._exit(3)

    def test_b_after(self):
        pass
