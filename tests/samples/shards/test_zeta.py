import unittest


class FirstTests(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass


class SecondTests(unittest.TestCase):
    def test_1(self):
        pass

    def test_2(self):
        pass
