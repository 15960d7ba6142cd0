"""--maxfail N, end to end: the run stops after N failures or errors, in one worker and across several."""
from __future__ import annotations

import unittest

from tests.support import start


class MaxfailTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "two": start("mixed", "--seed", "5", "--maxfail", "2"),
            "high": start("mixed", "--seed", "5", "--maxfail", "10"),
            "x": start("mixed", "--seed", "5", "-x"),
            "crashes": start("crashes", "--seed", "1", "--maxfail", "2"),
            "jobs": start("crashes", "--seed", "1", "-j", "2", "--maxfail", "2"),
            "zero": start("mixed", "--maxfail", "0", json_report=False),
            "word": start("mixed", "--maxfail", "some", json_report=False),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_the_run_stops_after_the_nth_failure_and_says_so(self):
        run = self.runs["two"]
        self.assertEqual(run.code, 1, run.describe())
        # the seed's order is s . x E F . F .: the second failure is the fifth test
        self.assertEqual(list(run.outcomes.values()), ["skipped", "passed", "xfailed", "error", "failed"])
        self.assertEqual(len(run.order), 8, "the report's order keeps the whole plan")
        self.assertRegex(run.stdout, r"\nran 5 tests in [\d.]+ s \(1 error, 1 expected failure, stopped after 2 "
                                     r"failures\)\n")
        self.assertEqual(run.lines()[-1], "2 passed, 2 failed, 1 skipped")

    def test_a_limit_the_run_does_not_reach_changes_nothing(self):
        run = self.runs["high"]
        self.assertEqual(len(run.outcomes), 8, run.describe())
        self.assertNotIn("stopped after", run.stdout)

    def test_x_is_maxfail_1_and_says_so_too(self):
        run = self.runs["x"]
        self.assertEqual(list(run.outcomes.values()), ["skipped", "passed", "xfailed", "error"], run.describe())
        self.assertIn("stopped after the first failure)", run.stdout)

    def test_the_runner_counts_the_crashes_that_no_worker_lives_to_count(self):
        run = self.runs["crashes"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(list(run.outcomes.values()), ["error", "error"], run.describe())
        self.assertIn("stopped after 2 failures)", run.stdout)

    def test_under_j_the_runner_stops_every_worker(self):
        run = self.runs["jobs"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(len(run.report["workers"]), 2, run.describe())
        failed = [test_id for test_id, outcome in run.outcomes.items() if outcome != "passed"]
        self.assertEqual(len(failed), 2, run.describe())
        self.assertLess(len(run.outcomes), len(run.order), run.describe())

    def test_a_bad_count_is_a_usage_error(self):
        self.assertEqual(self.runs["zero"].code, 4)
        self.assertEqual(self.runs["zero"].stderr, "harness: error: argument --maxfail: '0' would stop the run before "
                         "any test; use 1 or more (1 is the same as -x), or leave it out to run every test\n")
        self.assertEqual(self.runs["word"].code, 4)
        self.assertEqual(self.runs["word"].stderr, "harness: error: argument --maxfail: 'some' is not a number of "
                         "failures; use a whole number from 1 up, such as 3\n")
        self.assertEqual(self.runs["word"].stdout, "")
