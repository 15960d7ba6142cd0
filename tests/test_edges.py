"""Corners of the per-test loop seen end to end: contexts, failed task groups, stuck executors, messages, targets."""
from __future__ import annotations

import os
import unittest

import harness
from tests.support import start

EDGES = "test_edges"


class EdgeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "all": start("teardown_edges", "--seed", "2", "--bucket", "none"),
            "function": start("teardown_edges", targets=(f"{EDGES}.helper",), json_report=False),
            # the config sample's testpaths folder, checks/, is not a package: its ids are top-level names
            "printed id": start("config", targets=("test_configured.ConfiguredTests.test_clean",)),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_a_context_variable_set_in_setup_stays_in_its_test_on_every_backend(self):
        run = self.runs["all"]
        for backend in ("asyncio", "trio"):
            for name in ("test_first", "test_second"):
                with self.subTest(backend=backend, test=name):
                    self.assertEqual(run.outcomes[f"{EDGES}.ContextTests.{name}[{backend}]"], "passed",
                                     run.describe())

    def test_teardown_and_cleanups_still_run_after_the_task_group_failed(self):
        run = self.runs["all"]
        for backend in ("asyncio", "trio"):
            with self.subTest(backend=backend):
                entry = run.tests[f"{EDGES}.AfterCrashTests.test_background_task_fails[{backend}]"]
                self.assertEqual(entry["outcome"], "error")
                self.assertIn("ValueError: background task broke", entry["longrepr"])
                self.assertEqual(entry["stdout"], "asyncTearDown ran\nasync cleanup ran\n")
                self.assertNotIn("never awaited", entry["longrepr"])

    def test_a_task_failing_as_it_is_cancelled_is_reported_once(self):
        run = self.runs["all"]
        for backend in ("asyncio", "trio"):
            with self.subTest(backend=backend):
                entry = run.tests[f"{EDGES}.CancelFailTests.test_task_fails_when_cancelled[{backend}]"]
                self.assertEqual(entry["outcome"], "error")
                self.assertEqual(len(entry["unhandled_errors"]), 1, entry["unhandled_errors"])
                self.assertIn("OSError: cleanup in a background task broke", entry["longrepr"])

    def test_a_thread_stuck_in_the_executor_is_abandoned_within_the_bound(self):
        entry = self.runs["all"].tests[f"{EDGES}.ExecutorTests.test_thread_left_in_the_executor"]
        self.assertEqual(entry["outcome"], "error")
        self.assertEqual(entry["unhandled_errors"], [
            "the default executor still had work running (a run_in_executor or to_thread call) after 0.2 s; "
            "it was abandoned",
        ])
        self.assertLess(entry["duration"], 1.5)  # the thread sleeps 2 s: teardown did not wait for it

    def test_a_callback_error_names_the_callback_once(self):
        entry = self.runs["all"].tests[f"{EDGES}.MessageTests.test_callback_raises"]
        [error] = entry["unhandled_errors"]
        self.assertRegex(error, r"^Exception in callback MessageTests\.test_callback_raises\.<locals>\.<lambda>\(\)")
        self.assertEqual(error.count("<lambda>"), 1, error)

    def test_enter_async_context_names_the_class_it_cannot_enter(self):
        entry = self.runs["all"].tests[f"{EDGES}.MessageTests.test_enter_async_context_with_a_plain_object"]
        self.assertEqual(entry["message"], "TypeError: 'builtins.object' object does not support the asynchronous "
                                           "context manager protocol: pass an object with __aenter__ and __aexit__ "
                                           "(for a sync one, use enterContext)")

    def test_a_failure_traceback_starts_in_the_test_not_in_the_harness(self):
        entry = self.runs["all"].tests[f"{EDGES}.MessageTests.test_assertion_fails"]
        self.assertEqual(entry["outcome"], "failed")
        self.assertNotIn(os.path.join(os.path.dirname(harness.__file__), ""), entry["longrepr"])  # no frame of harness
        self.assertIn("in test_assertion_fails", entry["longrepr"])

    def test_a_target_naming_a_plain_function_is_refused_without_calling_it(self):
        run = self.runs["function"]
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(run.stderr, f"harness: error: target '{EDGES}.helper' is a function, not a test: name a "
                                     "module, a TestCase class or one of its test methods\n")
        self.assertNotIn("helper was called", run.stdout)

    def test_an_id_printed_for_a_test_folder_that_is_not_a_package_works_as_a_target(self):
        run = self.runs["printed id"]
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.outcomes, {"test_configured.ConfiguredTests.test_clean": "passed"})
