import unittest


class QuietTests(unittest.TestCase):
    def test_one(self):
        pass
