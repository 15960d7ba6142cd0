"""Loop callbacks a test leaves scheduled (call_later, call_at, call_soon), end to end: reported with their name and
where they were scheduled, cancelled before the loop closes, and nothing reported for a test that leaves none."""
from __future__ import annotations

import os
import tempfile
import unittest

from tests.support import line_of, start

SAMPLE = "pending_callbacks"
MODULE = "test_timers.py"
LEFT = "test_timers.LeftTests."
CLEAN = (
    "test_timers.CleanTests.test_cancels_its_timer", "test_timers.CleanTests.test_timers_that_fire",
    "test_timers.CleanTests.test_last_call_soon_runs_at_shutdown", "test_timers.CleanTests.test_sleeps_in_a_task_group",
    "test_timers.UvloopTests.test_clean_on_uvloop", "test_timers.StdlibTests.test_clean_in_stdlib_case",
)
LAMBDA = 'LEFT["c"]'


def where(text: str, function: str) -> str:
    return f"{MODULE}:{line_of(SAMPLE, MODULE, text)} in {function}"


def uvloop_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("uvloop") is not None


class PendingCallbackTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.html = tempfile.NamedTemporaryFile(suffix=".html", delete=False).name
        cls.addClassCleanup(os.remove, cls.html)
        runs = {
            "lenient": start(SAMPLE, "--seed", "1", "--html", cls.html, junit=True),
            "strict": start(SAMPLE, "--seed", "1", "--strict"),
            "parallel": start(SAMPLE, "--seed", "2", "-j", "2"),
        }
        cls.lenient, cls.strict, cls.parallel = (runs[name].result() for name in ("lenient", "strict", "parallel"))

    def pending(self, test_id: str) -> list[dict]:
        return self.lenient.tests[test_id]["pending_callbacks"]

    def test_a_timer_left_pending_is_reported_with_its_callback_and_where_it_was_scheduled(self):
        self.assertEqual(self.pending(LEFT + "test_call_later"), [{
            "callback": "refresh", "due_in": self.pending(LEFT + "test_call_later")[0]["due_in"],
            "scheduled_at": where('LEFT["a"]', "test_call_later"),
        }], self.lenient.describe())
        self.assertGreater(self.pending(LEFT + "test_call_later")[0]["due_in"], 3500)

    def test_workers_send_them_to_the_runner(self):
        for test in ("test_call_later", "test_call_soon_again_and_again"):
            with self.subTest(test=test):
                sent = self.parallel.tests[LEFT + test]["pending_callbacks"]
                named = [(c["callback"], c["scheduled_at"]) for c in sent]
                self.assertEqual(named, [(c["callback"], c["scheduled_at"]) for c in self.pending(LEFT + test)])
                self.assertEqual(len(named), 1)

    def test_partials_bound_methods_and_lambdas_get_readable_names(self):
        cases = {
            "test_call_at_partial": ("functools.partial(refresh)", where('LEFT["b"]', "test_call_at_partial")),
            "test_bound_method_in_a_helper": ("Cache.expire", where('LEFT["helper"]', "start")),
            "test_lambda": (f"lambda at {MODULE}:{line_of(SAMPLE, MODULE, LAMBDA)}", where(LAMBDA, "test_lambda")),
        }
        for test, (callback, scheduled_at) in cases.items():
            with self.subTest(test=test):
                (found,) = self.pending(LEFT + test)
                self.assertEqual((found["callback"], found["scheduled_at"]), (callback, scheduled_at))

    def test_a_call_soon_callback_that_keeps_rescheduling_itself_is_reported_as_not_yet_run(self):
        (found,) = self.pending(LEFT + "test_call_soon_again_and_again")
        self.assertEqual(found, {
            "callback": "LeftTests.test_call_soon_again_and_again.<locals>.poll", "due_in": None,
            "scheduled_at": where('            LEFT["poll"] = loop.call_soon(poll)', "poll"),
        })

    def test_isolated_asyncio_test_cases_are_checked_too(self):
        (timer,) = self.pending("test_timers.StdlibTests.test_call_later_in_stdlib_case")
        self.assertEqual((timer["callback"], timer["scheduled_at"]),
                         ("refresh", where('LEFT["g"]', "test_call_later_in_stdlib_case")))
        (soon,) = self.pending("test_timers.StdlibTests.test_call_soon_again_and_again_in_stdlib_case")
        self.assertIsNone(soon["due_in"])

    @unittest.skipUnless(uvloop_installed(), "needs uvloop")
    def test_on_uvloop_the_callback_is_found_but_where_it_was_scheduled_is_unknown(self):
        (found,) = self.pending("test_timers.UvloopTests.test_call_later_on_uvloop")
        self.assertEqual((found["callback"], found["scheduled_at"]), ("refresh", "<unknown>"))

    def test_every_callback_left_is_cancelled_before_the_loop_closes(self):
        # the sample's tearDownModule fails when a handle a test left is not cancelled (as under plain unittest)
        for run in (self.lenient, self.parallel):
            self.assertEqual([test for test in run.tests if "tearDownModule" in test], [], run.describe())
            self.assertNotIn("ran after its test", run.stdout)

    def test_tests_that_leave_nothing_scheduled_report_nothing(self):
        for test in CLEAN:
            with self.subTest(test=test):
                entry = self.lenient.tests[test]
                self.assertIn(entry["outcome"], ("passed", "skipped"))  # skipped: uvloop is not installed
                self.assertEqual((entry["pending_callbacks"], entry["residual_tasks"], entry["unhandled_errors"]),
                                 ([], [], []))

    def test_the_text_output_lists_them_under_their_test(self):
        lines = self.lenient.lines()
        self.assertIn(" tests that left tasks running or callbacks pending, or raised unhandled errors ",
                      self.lenient.stdout)
        header = lines.index(f"{LEFT}test_call_later: 1 callback still scheduled on the loop after the test: "
                             "cancel it before the test returns")
        scheduled_at = where('LEFT["a"]', "test_call_later")
        self.assertEqual(lines[header + 1],
                         f"    - callback refresh (scheduled at {scheduled_at}, due in 3600 s): cancelled")
        left = 8 if uvloop_installed() else 7
        self.assertRegex(lines[-2], rf"^ran 14 tests in [\d.]+ s \({left} tests left callbacks pending\)$")
        self.assertEqual(self.lenient.code, 0)

    def test_junit_and_html_name_them(self):
        case = self.lenient.junit.find(".//testcase[@name='test_call_later']")
        self.assertIn("pending callback refresh (scheduled at", case.find("system-err").text)
        with open(self.html, encoding="utf-8") as file:
            self.assertIn("pending callback refresh (scheduled at", file.read())

    def test_strict_fails_a_passing_test_that_left_a_callback_pending(self):
        entry = self.strict.tests[LEFT + "test_call_later"]
        self.assertEqual(entry["outcome"], "failed")
        self.assertEqual(entry["message"], f"1 callback still scheduled on the loop after {LEFT}test_call_later "
                                           "(strict mode): cancel it before the test returns")
        self.assertEqual(self.strict.tests[CLEAN[0]]["outcome"], "passed")
        self.assertEqual(self.strict.code, 1)


class PendingCallbackRecordTests(unittest.TestCase):
    def test_a_report_read_back_by_combine_keeps_them(self):
        from harness.reports.files import report_to_json
        from harness.reports.records import Findings, PendingCallback, TestReport
        from harness.run.combine import report_from_json

        callbacks = (PendingCallback("refresh", "t.py:3 in test_x", 3600.0), PendingCallback("poll", "<unknown>"))
        report = TestReport("t.T.test_x", "passed", 0.1, findings=Findings(pending_callbacks=callbacks))
        self.assertEqual(report_from_json(report_to_json(report)).findings.pending_callbacks, callbacks)
