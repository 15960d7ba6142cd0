import unittest


class AfterTests(unittest.TestCase):
    def test_runs(self):
        self.assertEqual(1 + 1, 2)
