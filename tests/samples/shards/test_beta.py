import unittest


class BetaTests(unittest.TestCase):
    def test_passes(self):
        pass

    @unittest.skip("not on this machine")
    def test_skipped(self):
        pass
