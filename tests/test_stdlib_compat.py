"""Plain unittest suites run unchanged: the outcomes `python -m unittest` gives, and import errors as results."""
from __future__ import annotations

import unittest

from tests.support import start, unittest_outcomes

EXPECTED = {
    "test_plain.FixtureTests.test_sees_class_fixture": "passed",
    "test_plain.FixtureTests.test_sees_module_fixture": "passed",
    "test_plain.OutcomeTests.test_passes": "passed",
    "test_plain.OutcomeTests.test_fails": "failed",
    "test_plain.OutcomeTests.test_errors": "error",
    "test_plain.OutcomeTests.test_skipped_by_decorator": "skipped",
    "test_plain.OutcomeTests.test_skipped_at_run_time": "skipped",
    "test_plain.OutcomeTests.test_expected_failure": "xfailed",
    "test_plain.OutcomeTests.test_unexpected_success": "xpassed",
    "test_plain.OutcomeTests.test_subtests_some_fail": "failed",
    "test_plain.OutcomeTests.test_subtests_one_errors": "error",
    "test_plain.OutcomeTests.test_subtests_all_pass": "passed",
    "test_plain.SkippedClassTests.test_a": "skipped",
    "test_plain.SkippedClassTests.test_b": "skipped",
    "setUpClass (test_plain.BrokenClassFixtureTests)": "error",
    "test_isolated.AsyncFixtureTests.test_sees_fixtures": "passed",
    "test_isolated.AsyncFixtureTests.test_fails": "failed",
    "test_isolated.AsyncFixtureTests.test_errors": "error",
    "test_isolated.AsyncFixtureTests.test_skipped": "skipped",
    "test_isolated.AsyncFixtureTests.test_expected_failure": "xfailed",
    "test_isolated.AsyncFixtureTests.test_subtests_some_fail": "failed",
    "test_isolated.BrokenTearDownTests.test_passes_but_teardown_breaks": "error",
}


class StdlibSuiteTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shuffled, in_order = start("stdlib", "--seed", "8"), start("stdlib", "--bucket", "global", "--seed", "8")
        cls.stdlib = unittest_outcomes("stdlib")
        cls.shuffled, cls.global_bucket = shuffled.result(), in_order.result()

    def test_plain_unittest_gives_the_outcomes_this_suite_expects(self):
        self.assertEqual(self.stdlib["outcomes"], EXPECTED)

    def test_outcomes_are_those_plain_unittest_gives(self):
        for run in (self.shuffled, self.global_bucket):
            with self.subTest(bucket=run.report["bucket"]):
                self.assertEqual(run.outcomes, self.stdlib["outcomes"])

    def test_counts_follow_from_the_outcomes(self):
        counts = self.shuffled.report["counts"]
        self.assertEqual(counts, {"passed": 7, "failed": 10, "skipped": 5, "error": 5, "xfailed": 2, "xpassed": 1})
        self.assertEqual(self.shuffled.lines()[-1], "7 passed, 10 failed, 5 skipped")
        self.assertEqual(self.shuffled.code, 1)

    def test_failing_subtests_are_named_in_the_message(self):
        entry = self.shuffled.tests["test_plain.OutcomeTests.test_subtests_some_fail"]
        self.assertEqual(entry["message"],
                         "test_plain.OutcomeTests.test_subtests_some_fail (i=1): AssertionError: 1 != 0")
        self.assertEqual(entry["longrepr"].count("AssertionError: 1 != 0"), 2)  # i=1 and i=3

    def test_a_broken_class_fixture_is_reported_under_its_own_name(self):
        entry = self.shuffled.tests["setUpClass (test_plain.BrokenClassFixtureTests)"]
        self.assertEqual(entry["message"], "RuntimeError: setUpClass could not open the resource")
        self.assertNotIn("test_plain.BrokenClassFixtureTests.test_never_runs", self.shuffled.tests)

    def test_isolated_asyncio_tests_report_their_backend(self):
        tests = self.shuffled.tests
        self.assertEqual(tests["test_isolated.AsyncFixtureTests.test_sees_fixtures"]["backend"], "asyncio")
        self.assertIsNone(tests["test_plain.OutcomeTests.test_passes"]["backend"])


class SubtestSkipTests(unittest.TestCase):
    def test_a_skipped_subtest_is_part_of_its_test_not_a_test_of_its_own(self):
        # a skipped subTest once showed up as a test of its own ("... (i=1)"), so the harness ran 3 where unittest ran 2
        run = start("subtest_skip", "--seed", "1").result()
        stdlib = unittest_outcomes("subtest_skip")
        self.assertEqual(stdlib["tests_run"], 2)
        self.assertEqual(sorted(run.tests), sorted(run.order))
        self.assertEqual(len(run.tests), stdlib["tests_run"])
        self.assertEqual(run.outcomes["test_subtest_skip.SubtestSkipTests.test_plain"], "passed")


class ImportErrorTests(unittest.TestCase):
    def test_a_module_that_fails_to_import_errors_and_the_rest_runs(self):
        run = start("import_error", "--seed", "1").result()
        self.assertEqual(run.outcomes, {
            "test_broken": "error", "test_fine.FineTests.test_one": "passed", "test_fine.FineTests.test_two": "passed",
        })
        self.assertEqual(run.tests["test_broken"]["message"], "ImportError: Failed to import test module: test_broken")
        self.assertIn("ModuleNotFoundError: No module named 'no_such_module_for_the_harness_sample'",
                      run.tests["test_broken"]["longrepr"])
        self.assertEqual(run.lines()[-1], "2 passed, 1 failed, 0 skipped")
        self.assertEqual(run.code, 1)


SKIP_REASON = "needs foo, which is not installed"


class SkippedModuleTests(unittest.TestCase):
    """`raise unittest.SkipTest(...)` at a module's top level, as CPython's test packages do: a skipped test."""

    @classmethod
    def setUpClass(cls):
        cls.runs = {
            "discovered": start("skipped_module", "--seed", "1", junit=True),
            "discovered -j 2": start("skipped_module", "--seed", "1", "-j", "2", "-v", junit=True),
            "file": start("skipped_module", "--seed", "1", "-v", targets=("test_needs_foo.py",), junit=True),
            "file -j 2": start("skipped_module", "--seed", "1", "-j", "2", targets=("test_needs_foo.py",)),
            "dotted": start("skipped_module", "--seed", "1", targets=("test_needs_foo",)),
            "dotted test": start("skipped_module", "--seed", "1", targets=("test_needs_foo.NeverLoaded",)),
        }
        cls.listed = {jobs: start("skipped_module", "--seed", "1", "--co", "-j", jobs) for jobs in ("1", "2")}
        cls.stdlib = unittest_outcomes("skipped_module")

    def test_plain_unittest_skips_the_module(self):
        self.assertEqual(self.stdlib["outcomes"]["unittest.loader.ModuleSkipped.test_needs_foo"], "skipped")

    def test_the_module_is_a_skipped_test_named_after_it_with_the_reason(self):
        for name, started in self.runs.items():
            run = started.result()
            with self.subTest(run=name):
                self.assertEqual(run.tests["test_needs_foo"]["outcome"], "skipped", run.describe())
                self.assertEqual(run.tests["test_needs_foo"]["message"], SKIP_REASON)
                self.assertNotIn("ERROR", run.stdout)
                self.assertNotIn("Failed to import", run.stdout)
                self.assertEqual(run.code, 0, run.describe())

    def test_the_rest_of_the_suite_runs_beside_it(self):
        for name in ("discovered", "discovered -j 2"):
            run = self.runs[name].result()
            with self.subTest(run=name):
                self.assertEqual(run.outcomes, {
                    "test_needs_foo": "skipped", "test_fine.FineTests.test_one": "passed",
                    "test_fine.FineTests.test_two": "passed",
                })
                self.assertEqual(run.lines()[-1], "2 passed, 0 failed, 1 skipped")

    def test_verbose_output_shows_the_reason(self):
        for name in ("discovered -j 2", "file"):
            with self.subTest(run=name):
                self.assertRegex(self.runs[name].result().stdout,
                                 rf"(?m)^test_needs_foo \.\.\. skipped \([\d.]+ s\) \[{SKIP_REASON}\]$")

    def test_junit_marks_it_skipped(self):
        for name in ("discovered", "file"):
            run = self.runs[name].result()
            with self.subTest(run=name):
                case = run.junit.find(".//testcase[@name='test_needs_foo']")
                self.assertIsNotNone(case, run.describe())
                self.assertEqual(case.find("skipped").get("message"), SKIP_REASON)
                self.assertIsNone(case.find("error"))
                self.assertEqual(run.junit.find("testsuite").get("errors"), "0")

    def test_collect_only_lists_it_as_a_test_not_an_error(self):
        for jobs, started in self.listed.items():
            run = started.result()
            with self.subTest(jobs=jobs):
                self.assertIn("test_needs_foo", run.report["order"])
                self.assertEqual(run.report["errors"], [])
                self.assertIn("test_needs_foo", run.lines())
                self.assertEqual(run.code, 0, run.describe())


class DuplicateIdTests(unittest.TestCase):
    """Two tests with the same id (the doctests of two implementations of one module, as CPython's test_decimal has)
    both run, as under plain unittest; on every seed, with -j 2, and after a worker died before them."""

    SAMPLE = "duplicate_ids"
    DOCTESTS = [("adder", "fast"), ("adder", "pure"), ("adder.add", "fast"), ("adder.add", "pure")]

    @classmethod
    def setUpClass(cls):
        runs = {
            "seed 1": start(cls.SAMPLE, "--seed", "1"),
            "seed 2, -j 2": start(cls.SAMPLE, "--seed", "2", "-j", "2"),
            "after a crash": start(cls.SAMPLE, "--seed", "1", "--bucket", "none", env={"HARNESS_SAMPLE_CRASH": "1"}),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}
        cls.plain = unittest_outcomes(cls.SAMPLE)

    def test_plain_unittest_runs_both_tests_of_each_id(self):
        self.assertEqual(self.plain["tests_run"], 5, self.plain)

    def test_each_test_runs_once_whatever_the_run(self):
        for name, run in self.runs.items():
            with self.subTest(name):
                doctests = sorted((entry["id"], entry["stdout"].strip()) for entry in run.report["tests"]
                                  if entry["id"].startswith("adder"))
                self.assertEqual(doctests, self.DOCTESTS, run.describe())
                self.assertTrue(all(entry["outcome"] == "passed" for entry in run.report["tests"]
                                    if entry["id"].startswith("adder")), run.describe())
                crashed = name == "after a crash"
                self.assertEqual(run.lines()[-1], f"{4 + (not crashed)} passed, {int(crashed)} failed, 0 skipped",
                                 run.describe())
