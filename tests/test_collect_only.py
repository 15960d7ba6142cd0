"""--collect-only (--co), end to end: the tests a run would run, in its order, and none of them run."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

from harness import cli
from tests.support import IN_PROCESS, start

SEED = "3"
LISTED = ["test_listed.FixtureTests.test_two", "test_listed.FixtureTests.test_one",
          "test_listed.FannedOutTests.test_everywhere[asyncio]", "test_listed.FannedOutTests.test_everywhere[trio]"]


class CollectOnlyTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-co-")
        cls.addClassCleanup(cls.folder.cleanup)
        cache = os.path.join(cls.folder.name, "cache")
        os.makedirs(cache)
        with open(os.path.join(cache, "lastrun.json"), "w", encoding="utf-8") as file:
            json.dump({"version": 1, "failed": ["test_listed.FixtureTests.test_one"], "durations": {}}, file)
        runs = {
            "listed": start("collect", "--seed", SEED, "--co", junit=True),
            "long_name": start("collect", "--seed", SEED, "--collect-only", "-k", "listed", json_report=False),
            "run": start("collect", "--seed", SEED, "-k", "listed"),
            "quiet": start("collect", "--seed", SEED, "--co", "-q", "-k", "Fanned", json_report=False),
            "none": start("collect", "--seed", SEED, "--co", "-k", "nothing_has_this_name"),
            "lf": start("collect", "--seed", SEED, "--co", "--lf", "--cache-dir", cache, json_report=False),
            "jobs": start("collect", "--seed", SEED, "--co", "-j", "2"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_the_ids_come_one_a_line_in_the_seeds_order_with_the_backends_fanned_out(self):
        run = self.runs["long_name"]
        self.assertEqual(run.code, 0, run.describe())
        lines = run.lines()
        self.assertRegex(lines[0], r"^harness \S+ on Python \S+: 4 tests, bucket module, --seed 3$")
        self.assertEqual(lines[1:], [*LISTED, "4 tests collected"])
        self.assertEqual(self.runs["run"].order, LISTED, "the order a run of the same seed has")

    def test_nothing_runs_not_even_a_class_fixture(self):
        for name in ("listed", "long_name", "quiet", "jobs"):
            self.assertRegex(self.runs[name].stdout, r"\n\d tests? collected", name)
            self.assertNotIn(" ran", self.runs[name].stdout, name)
        self.assertIn("setUpClass ran", self.runs["run"].tests["test_listed.FixtureTests.test_two"]["stdout"] +
                      self.runs["run"].stdout, "the sample says so when it runs")

    def test_a_module_that_does_not_load_is_shown_as_in_a_run_and_fails_the_listing(self):
        run = self.runs["listed"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertNotIn("test_broken\n", run.stdout.partition(" FAILURES ")[0], "not listed as a test")
        self.assertIn("ERROR: test_broken _", run.stdout)
        self.assertIn("ModuleNotFoundError: No module named 'a_module_that_is_not_installed'", run.stdout)
        self.assertIn("ERROR test_broken - ImportError: Failed to import test module: test_broken\n", run.stdout)
        self.assertEqual(run.lines()[-1], "4 tests collected, 1 error")

    def test_the_json_report_lists_the_order_and_the_errors(self):
        report = self.runs["listed"].report
        self.assertTrue(report["collect_only"])
        self.assertEqual((report["seed"], report["bucket"], report["collected"]), (3, "module", 4))
        self.assertEqual(report["order"], LISTED)
        self.assertEqual([error["id"] for error in report["errors"]], ["test_broken"])
        self.assertEqual(report["errors"][0]["outcome"], "error")
        self.assertNotIn("tests", report)
        self.assertIsNone(self.runs["listed"].junit, "no JUnit XML report: no test ran")

    def test_quiet_prints_the_ids_and_the_count_only(self):
        run = self.runs["quiet"]
        self.assertEqual(run.stdout, "test_listed.FannedOutTests.test_everywhere[asyncio]\n"
                                     "test_listed.FannedOutTests.test_everywhere[trio]\n2 tests collected\n")

    def test_nothing_selected_exits_5(self):
        run = self.runs["none"]
        self.assertEqual(run.code, 5, run.describe())
        self.assertEqual(run.stdout, "0 tests collected\n")
        self.assertIn("no tests collected from . with -k", run.stderr)

    def test_lf_lists_the_tests_that_failed_last_time(self):
        run = self.runs["lf"]
        self.assertEqual(run.lines()[1:], ["--lf: running the 1 test that failed last time, of 5 collected",
                                           "test_listed.FixtureTests.test_one", "1 test collected"], run.describe())

    def test_under_j_the_lanes_are_listed_in_the_report(self):
        run = self.runs["jobs"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.report["jobs"], 2)
        self.assertEqual(sorted(run.report["workers"]), [[], LISTED], "test_broken's lane has no test")
        self.assertEqual(run.lines()[-1], "4 tests collected, 1 error")

    def test_it_does_not_go_with_bisect_or_until_failure(self):
        for other in (["--bisect", "x.Y.test_z"], ["--until-failure"]):
            with self.assertRaisesRegex(cli.UsageError, r"^--collect-only does not go with --"):
                cli.given(["--co", *other])


class CollectOnlyInProcessTests(unittest.TestCase):
    def test_a_run_in_this_process_lists_without_running_too(self):
        run = start("collect", "--seed", SEED, "--co", env=IN_PROCESS).result()
        self.assertIn("running in this process", run.stderr)
        self.assertEqual(run.lines()[1:5], LISTED, run.describe())
        self.assertIn("ERROR: test_broken _", run.stdout)
        self.assertNotIn(" ran", run.stdout)
        self.assertEqual(run.lines()[-1], "4 tests collected, 1 error")
