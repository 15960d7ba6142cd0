"""self.task_group is opened for the tests whose project code names it, and only for those."""
from __future__ import annotations

import unittest

from tests.support import start

UNNAMED, HELPER = "test_unnamed", "test_helper.ThroughAHelper"


class TaskGroupOpeningTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "unnamed": start("task_group_unnamed", "--seed", "1", "-k", "Plain"),
            "opened": start("task_group_unnamed", "--seed", "1", "-k", "Opened"),
            "helper": start("task_group_helper", "--seed", "1"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_a_suite_that_never_names_the_task_group_runs_without_anyio(self):
        run = self.runs["unnamed"]
        self.assertEqual(run.test(".Plain.test_runs_without_importing_anyio")["outcome"], "passed", run.describe())

    def test_tasks_left_running_are_still_reported_without_a_task_group(self):
        entry = self.runs["unnamed"].test(".Plain.test_leaves_a_task_running")
        self.assertEqual(entry["outcome"], "passed")
        self.assertEqual([task["name"] for task in entry["residual_tasks"]], ["left-behind"])
        self.assertRegex(entry["residual_tasks"][0]["created_at"], r"test_unnamed\.py:15\b")

    def test_a_name_built_at_run_time_gets_an_error_that_says_what_to_set(self):
        run = self.runs["unnamed"]
        entry = run.test(".Plain.test_reaches_the_group_by_a_built_name")
        self.assertEqual(entry["outcome"], "error")
        self.assertIn(
            f"RuntimeError: self.task_group of {UNNAMED}.Plain.test_reaches_the_group_by_a_built_name is not open: "
            "harness opens it only when the project's code names task_group",
            entry["message"],
        )
        self.assertIn("set open_task_group = True on Plain", entry["message"])
        self.assertEqual(run.stdout.splitlines()[-1], "2 passed, 1 failed, 0 skipped", run.describe())

    def test_open_task_group_true_opens_it_on_every_backend(self):
        run = self.runs["opened"]
        self.assertEqual(run.outcomes, {f"{UNNAMED}.Opened.test_reaches_the_group_by_a_built_name[{backend}]": "passed"
                                        for backend in ("asyncio", "trio")}, run.describe())

    def test_a_helper_module_that_names_it_opens_it_for_the_tests_that_call_the_helper(self):
        run = self.runs["helper"]
        for backend in ("asyncio", "trio"):
            with self.subTest(backend):
                self.assertEqual(run.outcomes[f"{HELPER}.test_background_work_runs[{backend}]"], "passed",
                                 run.describe())
                failed = run.tests[f"{HELPER}.test_a_failing_background_task_fails_the_test[{backend}]"]
                self.assertEqual(failed["outcome"], "error")
                self.assertIn("(1 sub-exception)", failed["message"])
                self.assertIn("ValueError: background task failed", failed["longrepr"])


if __name__ == "__main__":
    unittest.main()
