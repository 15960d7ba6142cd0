"""Two classes with class fixtures; every test prints what `random` gives it."""
import random
import unittest


def setUpModule():
    print("setUpModule test_beta")


class Fixture(unittest.TestCase):
    resource = "never opened"

    @classmethod
    def setUpClass(cls):
        print(f"setUpClass {cls.__module__}.{cls.__qualname__}")
        cls.resource = "open"

    @classmethod
    def tearDownClass(cls):
        cls.resource = "closed"

    def check(self):
        self.assertEqual(self.resource, "open")
        print(random.random())


class Third(Fixture):
    def test_1(self):
        self.check()

    def test_2(self):
        self.check()

    def test_3(self):
        self.check()


class Fourth(Fixture):
    def test_1(self):
        self.check()

    def test_2(self):
        self.check()

    def test_3(self):
        self.check()
