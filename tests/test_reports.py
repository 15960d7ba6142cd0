"""The JSON and JUnit XML reports, end to end: every outcome, fixture failures, and reports that cannot be written."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

from harness.reports.files import junit_names, write_atomically
from tests.support import SAMPLES, TIMEOUT, environment, line_of, start

OUTCOMES = {
    "test_mixed.OutcomeTests.test_passes": "passed",
    "test_mixed.OutcomeTests.test_fails": "failed",
    "test_mixed.OutcomeTests.test_errors": "error",
    "test_mixed.OutcomeTests.test_skipped": "skipped",
    "test_mixed.OutcomeTests.test_expected_failure": "xfailed",
    "test_mixed.OutcomeTests.test_slow": "passed",
    "test_mixed.OutcomeTests.test_prints_then_fails": "failed",
    "test_mixed.LeakyTests.test_leaves_a_task_running": "passed",
}
LEAKY = "test_mixed.LeakyTests.test_leaves_a_task_running"


class ReportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mixed = start("mixed", "--seed", "31", "--bucket", "class", junit=True).result()
        cls.report = cls.mixed.report

    def test_json_report_has_the_seed_bucket_and_order(self):
        self.assertEqual((self.report["seed"], self.report["bucket"]), (31, "class"))
        self.assertEqual(sorted(self.report["order"]), sorted(OUTCOMES))
        self.assertEqual([entry["id"] for entry in self.report["tests"]], self.report["order"])

    def test_json_report_has_every_field_of_every_test(self):
        for entry in self.report["tests"]:
            with self.subTest(entry["id"]):
                self.assertLessEqual(
                    {"id", "outcome", "duration", "backend", "residual_tasks", "state_changes", "message"}, set(entry)
                )
                self.assertIsInstance(entry["duration"], float)
                self.assertGreaterEqual(entry["duration"], 0.0)
                self.assertEqual(entry["state_changes"], [])  # no global-state probes yet

    def test_json_report_has_each_tests_outcome_and_message(self):
        self.assertEqual(self.mixed.outcomes, OUTCOMES)
        messages = {test_id: entry["message"] for test_id, entry in self.mixed.tests.items()}
        self.assertEqual(messages["test_mixed.OutcomeTests.test_passes"], "")
        self.assertEqual(messages["test_mixed.OutcomeTests.test_fails"], "AssertionError: 1 != 2")
        self.assertEqual(messages["test_mixed.OutcomeTests.test_errors"], "KeyError: 'no such key'")
        self.assertEqual(messages["test_mixed.OutcomeTests.test_skipped"], "not on this machine")
        self.assertEqual(messages["test_mixed.OutcomeTests.test_expected_failure"],
                         "expected failure: AssertionError: 1 != 2")

    def test_json_report_has_the_backend_of_async_tests_only(self):
        backends = {test_id: entry["backend"] for test_id, entry in self.mixed.tests.items()}
        self.assertEqual(backends.pop(LEAKY), "asyncio")
        self.assertEqual(set(backends.values()), {None})

    def test_json_report_has_durations(self):
        self.assertGreaterEqual(self.mixed.tests["test_mixed.OutcomeTests.test_slow"]["duration"], 0.2)
        self.assertLess(self.mixed.tests["test_mixed.OutcomeTests.test_passes"]["duration"],
                        self.mixed.tests["test_mixed.OutcomeTests.test_slow"]["duration"])

    def test_json_report_has_residual_tasks_with_name_coroutine_and_creation_site(self):
        created = line_of("mixed", "test_mixed.py", 'name="ticker"')
        (task,) = self.mixed.tests[LEAKY]["residual_tasks"]
        self.assertEqual(task["name"], "ticker")
        self.assertEqual(task["coro"], "sleep()")
        self.assertEqual(task["created_at"], f"test_mixed.py:{created} in test_leaves_a_task_running")
        self.assertFalse(task["refused_cancel"])

    def test_json_report_has_captured_output(self):
        self.assertEqual(self.mixed.tests["test_mixed.OutcomeTests.test_prints_then_fails"]["stdout"],
                         "hello from test_prints_then_fails\n")

    def test_junit_xml_has_a_testcase_per_test_with_its_outcome(self):
        (suite,) = self.mixed.junit.findall("testsuite")
        self.assertEqual(
            {key: suite.get(key) for key in ("tests", "failures", "errors", "skipped")},
            {"tests": "8", "failures": "2", "errors": "1", "skipped": "1"},
        )
        cases = {f"{case.get('classname')}.{case.get('name')}": case for case in suite.findall("testcase")}
        self.assertEqual(set(cases), set(OUTCOMES))
        tags = {test_id: [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
                for test_id, case in cases.items()}
        self.assertEqual(tags["test_mixed.OutcomeTests.test_fails"], ["failure"])
        self.assertEqual(tags["test_mixed.OutcomeTests.test_errors"], ["error"])
        self.assertEqual(tags["test_mixed.OutcomeTests.test_skipped"], ["skipped"])
        self.assertEqual(tags["test_mixed.OutcomeTests.test_passes"], [])
        self.assertEqual(cases["test_mixed.OutcomeTests.test_fails"].find("failure").get("message"),
                         "AssertionError: 1 != 2")

    def test_junit_xml_has_the_seed_as_a_property(self):
        properties = {p.get("name"): p.get("value") for p in self.mixed.junit.iter("property")}
        self.assertEqual((properties["seed"], properties["bucket"]), ("31", "class"))

    def test_junit_xml_has_residual_tasks_in_system_err(self):
        created = line_of("mixed", "test_mixed.py", 'name="ticker"')
        (case,) = [c for c in self.mixed.junit.iter("testcase") if c.get("name") == "test_leaves_a_task_running"]
        self.assertRegex(
            case.findtext("system-err"),
            rf"^residual task 'ticker' running sleep\(\) \(created at test_mixed\.py:{created} in "
            r"test_leaves_a_task_running, suspended at .*\): cancelled\n$",
        )

    def test_junit_xml_has_captured_output_in_system_out(self):
        (case,) = [c for c in self.mixed.junit.iter("testcase") if c.get("name") == "test_prints_then_fails"]
        self.assertEqual(case.findtext("system-out"), "hello from test_prints_then_fails\n")


class JUnitNameTests(unittest.TestCase):
    """classname and name: a fixture failure is named after its class or module, a backend stays in the name."""

    @classmethod
    def setUpClass(cls):
        cls.fixtures = start("fixture_errors", "--seed", "1", junit=True).result()

    def test_fixture_failures_are_named_by_their_class_or_module(self):
        names = sorted((case.get("classname"), case.get("name")) for case in self.fixtures.junit.iter("testcase"))
        self.assertEqual(names, [
            ("test_broken_class.BrokenSetUpTests", "setUpClass"),
            ("test_broken_class.BrokenTearDownTests", "tearDownClass"),
            ("test_broken_class.BrokenTearDownTests", "test_passes"),
            ("test_broken_class.FanOutTests", "test_passes[asyncio]"),
            ("test_broken_class.FanOutTests", "test_passes[trio]"),
            ("test_broken_module", "setUpModule"),
        ], self.fixtures.describe())

    def test_fixture_failures_keep_their_error(self):
        (case,) = [c for c in self.fixtures.junit.iter("testcase") if c.get("name") == "setUpClass"]
        self.assertEqual(case.find("error").get("message"), "OSError: database is down")

    def test_ids_split_before_the_method_name_whatever_the_brackets_hold(self):
        cases = {
            "pkg.mod.Class.test_x": ("pkg.mod.Class", "test_x"),
            "mod.Class.test_x[trio]": ("mod.Class", "test_x[trio]"),
            "mod.Class.test_x[asyncio+uvloop]": ("mod.Class", "test_x[asyncio+uvloop]"),
            "mod.Class.test_x[a.b.c]": ("mod.Class", "test_x[a.b.c]"),
            "setUpClass (pkg.mod.Class)": ("pkg.mod.Class", "setUpClass"),
            "tearDownModule (pkg.mod)": ("pkg.mod", "tearDownModule"),
            "test_broken": ("test_broken", "test_broken"),
        }
        for test_id, expected in cases.items():
            with self.subTest(test_id):
                self.assertEqual(junit_names(test_id), expected)


class _TakenFolderRun:
    """The report_folder_taken sample, with the JSON report due in a folder that a test makes impossible."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="harness-unwritable-")
        self.json_path = os.path.join(self.folder.name, "out", "report.json")
        self.junit_path = os.path.join(self.folder.name, "report.xml")
        env = environment() | {"HARNESS_SAMPLE_BLOCK": os.path.join(self.folder.name, "out")}
        done = subprocess.run(
            [sys.executable, "-m", "harness", "--seed", "1", "--json", self.json_path, "--junit-xml", self.junit_path,
             "."],
            cwd=os.path.join(SAMPLES, "report_folder_taken"), env=env, capture_output=True, text=True,
            timeout=TIMEOUT,
        )
        self.code, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
        self.junit = ET.parse(self.junit_path).getroot() if os.path.exists(self.junit_path) else None
        self.folder.cleanup()

    def describe(self) -> str:
        return f"exit code {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class UnwritableReportTests(unittest.TestCase):
    """A report that cannot be written at the end: one line on stderr, exit code 3, the other reports written."""

    @classmethod
    def setUpClass(cls):
        folder = tempfile.TemporaryDirectory(prefix="harness-unwritable-")
        cls.addClassCleanup(folder.cleanup)
        cls.long_name_folder = folder.name
        long_name = start("mixed", "--seed", "1", "-k", "test_passes", "--json", os.path.join(folder.name, "r" * 300),
                          ".", json_report=False)
        cls.taken, cls.long_name = _TakenFolderRun(), long_name.result()

    def test_the_run_exits_3_with_one_line_naming_the_report_and_its_path(self):
        self.assertEqual(self.taken.code, 3, self.taken.describe())
        self.assertRegex(
            self.taken.stderr,
            r"^harness: error: could not write the JSON report to '(?P<folder>[^']+)/out/report\.json': "
            r"'(?P=folder)/out' is a file, not a folder; give a path in a folder\n$",
        )

    def test_the_reports_after_it_are_still_written(self):
        self.assertIsNotNone(self.taken.junit, self.taken.describe())
        names = [case.get("name") for case in self.taken.junit.iter("testcase")]
        self.assertEqual(names, ["test_puts_a_file_in_the_way"])

    def test_the_text_summary_is_still_printed(self):
        self.assertEqual(self.taken.stdout.splitlines()[-1], "1 passed, 0 failed, 0 skipped", self.taken.describe())

    def test_an_error_only_seen_when_writing_is_shown_as_it_came(self):
        self.assertEqual(self.long_name.code, 3, self.long_name.describe())
        self.assertRegex(
            self.long_name.stderr,
            r"^harness: error: could not write the JSON report to '[^']+/r{300}': \[Errno \d+\] File name too long: "
            r".*; check that its folder can be written, or give another path\n$",
        )
        self.assertEqual(os.listdir(self.long_name_folder), [], "the temporary file was left behind")


class ReportFileTests(unittest.TestCase):
    def test_a_report_file_is_as_readable_as_any_new_file(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "report.json")
            write_atomically(path, "{}")
            mask = os.umask(0)
            os.umask(mask)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o666 & ~mask)
            self.assertEqual(os.listdir(folder), ["report.json"])
