"""The JSON and JUnit XML reports, end to end, on a sample with one test of every outcome."""
from __future__ import annotations

import unittest

from tests.support import line_of, start

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
