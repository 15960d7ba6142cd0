"""A class fixture that takes the process down: its class cannot run, the other classes still do."""
import os
import unittest


class ACrashesInSetUpClassTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print("setting up, then leaving")
        os._exit(7)

    def test_1(self):
        pass

    def test_2(self):
        pass


class BFineTests(unittest.TestCase):
    def test_1(self):
        pass
