"""A test that fails for some seeds, beside steady ones that count their class fixture's runs."""
import random
import unittest


class FlakyTests(unittest.TestCase):
    def test_sometimes_fails(self):
        # the harness seeds `random` per test from the run's seed and the test's id
        self.assertGreaterEqual(random.random(), 0.3, "drew a number below 0.3")


class SteadyTests(unittest.TestCase):
    set_up_runs = 0

    @classmethod
    def setUpClass(cls):
        cls.set_up_runs += 1
        print(f"setUpClass SteadyTests ({cls.set_up_runs})")

    def test_passes(self):
        self.assertEqual(type(self).set_up_runs, 1)

    def test_also_passes(self):
        self.assertEqual(type(self).set_up_runs, 1)
