"""Tests of another module (the other worker under -j 2), slower than the hang: they finish after it."""
import time
import unittest


class BOtherTests(unittest.TestCase):
    def test_1(self):
        time.sleep(0.5)

    def test_2(self):
        time.sleep(0.5)

    def test_3(self):
        time.sleep(0.5)
