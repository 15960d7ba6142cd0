"""Tests that fail when their name is in SAMPLE_FAILING (comma-separated), so that a run can fail and the next pass."""
import os
import unittest

FAILING = set(filter(None, os.environ.get("SAMPLE_FAILING", "").split(",")))


class CheckMixin:
    def check(self):
        name = self._testMethodName
        self.assertNotIn(name, FAILING, f"{name} is in SAMPLE_FAILING")


class AlphaTests(CheckMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ready = True  # setUpClass runs again when --ff splits the class: the tests must still see it

    def test_a1(self):
        self.assertTrue(self.ready)
        self.check()

    def test_a2(self):
        self.assertTrue(self.ready)
        self.check()

    def test_a3(self):
        self.assertTrue(self.ready)
        self.check()


class BetaTests(CheckMixin, unittest.TestCase):
    def test_b1(self):
        self.check()

    def test_b2(self):
        self.check()
