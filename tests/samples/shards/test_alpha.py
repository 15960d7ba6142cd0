import unittest


class AlphaTests(unittest.TestCase):
    def test_passes(self):
        pass

    def test_fails(self):
        self.assertEqual(1 + 1, 3)

    def test_passes_too(self):
        pass
