"""Enforced teardown, end to end: leaked tasks, tasks refusing cancellation, unhandled errors, stale loops."""
from __future__ import annotations

import re
import unittest

from tests.support import line_of, run_harness, start

LEAKY = "test_service.CacheTests.test_start_leaves_expiry_running"
LEAKY_HARNESS = "test_service_harness.LoopTaskTests.test_start_leaves_expiry_running"
LEAKY_GROUP = "test_service_harness.TaskGroupTests.test_started_expiry_left_in_task_group"
UNSTARTED = "test_service_harness.UnstartedTaskGroupTests.test_expiry_left_before_it_ever_ran"


class LeakedTaskTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lenient, strict = start("leaky_task", "-v", "--seed", "1"), start("leaky_task", "--seed", "1", "--strict")
        cls.lenient, cls.strict = lenient.result(), strict.result()

    def test_leaked_task_is_reported_with_its_creation_site(self):
        tasks = self.lenient.tests[LEAKY]["residual_tasks"]
        self.assertEqual(len(tasks), 1, self.lenient.describe())
        created = line_of("leaky_task", "test_service.py", "create_task(self._expire_loop())")
        suspended = line_of("leaky_task", "test_service.py", "await asyncio.sleep(3600)")
        self.assertEqual(tasks[0]["coro"], "Cache._expire_loop()")
        self.assertEqual(tasks[0]["created_at"], f"test_service.py:{created} in start")
        self.assertEqual(tasks[0]["suspended_at"], f"test_service.py:{suspended} in _expire_loop")
        self.assertFalse(tasks[0]["refused_cancel"])

    def test_leaked_task_is_named_in_the_text_output_under_its_test(self):
        created = line_of("leaky_task", "test_service.py", "create_task(self._expire_loop())")
        lines = self.lenient.lines()
        header = lines.index(
            f"{LEAKY}: 1 task still running after the test: await or cancel it before the test returns"
        )
        self.assertRegex(
            lines[header + 1],
            rf"^    - task '[^']+' running Cache\._expire_loop\(\) \(created at test_service\.py:{created} in start, "
            r"suspended at test_service\.py:\d+ in _expire_loop\): cancelled$",
        )
        self.assertRegex(
            self.lenient.stdout, rf"(?m)^{re.escape(LEAKY)} \.\.\. ok \(\d+\.\d{{3}} s\) \[1 task left running\]$"
        )

    def test_leaked_task_of_harness_test_case_is_reported_with_its_creation_site(self):
        created = line_of("leaky_task", "test_service_harness.py", "create_task(self._expire_loop())")
        (task,) = self.lenient.tests[LEAKY_HARNESS]["residual_tasks"]
        self.assertEqual(task["coro"], "Cache._expire_loop()")
        self.assertEqual(task["created_at"], f"test_service_harness.py:{created} in start")

    def test_task_left_in_the_task_group_is_reported_on_every_backend(self):
        created = line_of("leaky_task", "test_service_harness.py", "task_group.start_soon(self._expire_loop)")
        suspended = line_of("leaky_task", "test_service_harness.py", "await anyio.sleep(3600)")
        for backend in ("asyncio", "trio"):
            with self.subTest(backend=backend):
                (task,) = self.lenient.tests[f"{LEAKY_GROUP}[{backend}]"]["residual_tasks"]
                self.assertEqual(task["name"], "test_service_harness.Cache._expire_loop")
                self.assertEqual(task["coro"], "Cache._expire_loop()")
                self.assertEqual(task["created_at"], f"test_service_harness.py:{created} in start_in")
                self.assertEqual(task["suspended_at"], f"test_service_harness.py:{suspended} in _expire_loop")

    def test_task_that_never_started_is_reported_by_its_own_coroutine(self):
        # on trio a task that never ran is still inside anyio's wrapper (TaskHandle._run_coro): name what it wraps
        for backend in ("asyncio", "trio"):
            with self.subTest(backend=backend):
                (task,) = self.lenient.tests[f"{UNSTARTED}[{backend}]"]["residual_tasks"]
                self.assertEqual(task["coro"], "Cache._expire_loop()")
                self.assertRegex(task["suspended_at"], r"^test_service_harness\.py:\d+ in _expire_loop$")

    def test_tests_that_leave_nothing_report_no_residual_tasks(self):
        for test_id in ("test_service.CacheTests.test_clean", "test_service_harness.LoopTaskTests.test_clean"):
            self.assertEqual(self.lenient.tests[test_id]["residual_tasks"], [])

    def test_leaked_tasks_do_not_fail_the_run_or_make_it_wait(self):
        self.assertEqual(self.lenient.code, 0, self.lenient.describe())
        self.assertEqual(set(self.lenient.outcomes.values()), {"passed"})
        self.assertLess(self.lenient.report["duration"], 5.0)  # the leaked tasks sleep for an hour
        self.assertEqual(self.lenient.lines()[-1], "8 passed, 0 failed, 0 skipped")

    def test_strict_turns_a_leaked_task_into_a_failure_of_its_test(self):
        self.assertEqual(self.strict.code, 1, self.strict.describe())
        leaky = self.strict.tests[LEAKY]
        self.assertEqual(leaky["outcome"], "failed")
        self.assertEqual(
            leaky["message"],
            f"1 task still running after {LEAKY} (strict mode): await or cancel it before the test returns",
        )
        self.assertEqual(self.strict.tests["test_service.CacheTests.test_clean"]["outcome"], "passed")
        self.assertEqual(self.strict.lines()[-1], "2 passed, 6 failed, 0 skipped")


class RefusedCancellationTests(unittest.TestCase):
    BOUND = 0.25

    @classmethod
    def setUpClass(cls):
        cls.stubborn = start("refusing_cancel", "-v", "--seed", "6", "--teardown-timeout", str(cls.BOUND)).result()

    def refusing(self):
        return {test_id: entry for test_id, entry in self.stubborn.tests.items() if "refuses" in test_id}

    def test_task_refusing_cancellation_is_reported_and_abandoned(self):
        self.assertEqual(len(self.refusing()), 3, self.stubborn.describe())
        for test_id, entry in self.refusing().items():
            with self.subTest(test_id):
                (task,) = entry["residual_tasks"]
                self.assertTrue(task["refused_cancel"])
                self.assertIn(task["coro"], ("stubborn()", "stubborn_asyncio()"))
                self.assertRegex(
                    self.stubborn.stdout,
                    rf"(?m)^    - task '{task['name']}' running {re.escape(task['coro'])} "
                    r"\(created at test_stubborn\.py:\d+ in test_task_refuses_cancellation, .*\): "
                    r"refused cancellation and was abandoned$",
                )

    def test_teardown_gives_up_within_its_bound(self):
        for test_id, entry in self.refusing().items():
            with self.subTest(test_id):
                self.assertGreaterEqual(entry["duration"], self.BOUND * 0.9)
                self.assertLess(entry["duration"], self.BOUND + 1.0)
        self.assertLess(self.stubborn.report["duration"], 3 * self.BOUND + 2.0)

    def test_tests_after_an_abandoned_task_run_normally(self):
        order = self.stubborn.order
        # the seed puts each stubborn test before its well-behaved neighbour on the same backend
        for test_class, backend in (("HarnessStubbornTests", "[asyncio]"), ("HarnessStubbornTests", "[trio]"),
                                    ("StdlibStubbornTests", "")):
            refuses = order.index(f"test_stubborn.{test_class}.test_task_refuses_cancellation{backend}")
            after = order.index(f"test_stubborn.{test_class}.test_after_the_stubborn_one{backend}")
            self.assertLess(refuses, after, order)
        self.assertEqual(set(self.stubborn.outcomes.values()), {"passed"}, self.stubborn.describe())
        self.assertEqual(self.stubborn.code, 0)

    def test_abandoned_stdlib_task_leaves_no_noise_on_stderr(self):
        # the case's asyncio.Runner must be dropped with its loop, else its __del__ closes the closed loop again and
        # prints "Exception ignored in ... RuntimeError: Event loop is closed" at exit
        self.assertNotIn("Exception ignored", self.stubborn.stderr)


class UnhandledErrorTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.unhandled = start("unhandled", "-v", "--seed", "1").result()

    def entry(self, test_id):
        return self.unhandled.tests[f"test_unhandled.{test_id}"]

    def test_task_exception_nobody_retrieved_is_an_error_of_its_test(self):
        entry = self.entry("AsyncioUnhandledTests.test_task_exception_never_retrieved")
        created = line_of("unhandled", "test_unhandled.py", "create_task(explode())")
        self.assertEqual(entry["outcome"], "error")
        self.assertRegex(
            entry["message"],
            r"^harness\.findings\.unhandled\.UnhandledError: Task exception was never retrieved "
            r"\(task '[^']+' running explode\(\), "
            rf"created at test_unhandled\.py:{created} in test_task_exception_never_retrieved\)$",
        )
        self.assertIn("LookupError: nobody retrieved me", entry["longrepr"])
        self.assertEqual(len(entry["unhandled_errors"]), 1)

    def test_exception_in_a_loop_callback_is_an_error_of_its_test(self):
        entry = self.entry("AsyncioUnhandledTests.test_exception_in_loop_callback")
        self.assertEqual(entry["outcome"], "error")
        self.assertRegex(entry["message"],
                         r"^harness\.findings\.unhandled\.UnhandledError: Exception in callback .*callback\(\)")
        self.assertIn("ZeroDivisionError: raised in a loop callback", entry["longrepr"])

    def test_coroutine_never_awaited_is_an_error_of_its_test_on_every_kind_of_case(self):
        for test_class, kind in (("AsyncioUnhandledTests", "asyncio"), ("TrioUnhandledTests", "trio"),
                                 ("SyncUnhandledTests", "sync")):
            with self.subTest(test_class):
                line = line_of("unhandled", "test_unhandled.py", f"dropped on {kind}")
                entry = self.entry(f"{test_class}.test_coroutine_never_awaited")
                self.assertEqual(entry["outcome"], "error")
                self.assertEqual(
                    entry["message"],
                    f"harness.findings.unhandled.UnhandledError: coroutine 'never' was never awaited (noticed at "
                    f"test_unhandled.py:{line}): await it, or close() it if it is not needed",
                )

    def test_tests_beside_them_pass_without_errors(self):
        for test_class in ("AsyncioUnhandledTests", "TrioUnhandledTests", "SyncUnhandledTests"):
            entry = self.entry(f"{test_class}.test_clean")
            self.assertEqual((entry["outcome"], entry["unhandled_errors"]), ("passed", []), test_class)

    def test_unhandled_errors_are_listed_and_fail_the_run(self):
        self.assertEqual(self.unhandled.code, 1)
        self.assertIn(" tests that left tasks running or raised unhandled errors ", self.unhandled.stdout)
        self.assertRegex(
            self.unhandled.stdout,
            r"(?m)^test_unhandled\.SyncUnhandledTests\.test_coroutine_never_awaited: "
            r"unhandled error: coroutine 'never' was never awaited",
        )
        self.assertEqual(self.unhandled.lines()[-1], "3 passed, 5 failed, 0 skipped")


class StaleLoopTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stale = start("closed_loop", "-v", "--bucket", "none").result()  # discovery order: connect, then reuse

    def test_reusing_a_future_of_a_previous_tests_loop_fails_that_test_without_hanging(self):
        outcomes = self.stale.outcomes
        self.assertEqual(outcomes["test_pool.StdlibConnectionTests.test_a_connect"], "passed")
        self.assertEqual(outcomes["test_pool.HarnessConnectionTests.test_a_connect"], "passed")
        for test_id in ("test_pool.StdlibConnectionTests.test_b_ping", "test_pool.HarnessConnectionTests.test_b_reply"):
            with self.subTest(test_id):
                entry = self.stale.tests[test_id]
                self.assertEqual(entry["outcome"], "error")
                self.assertRegex(entry["message"], r"different loop")
                self.assertLess(entry["duration"], 0.9)  # failed at once: no wait for the 1 s timeout
        self.assertEqual(self.stale.code, 1)

    def test_the_failure_names_the_test_whose_loop_made_the_object(self):
        for cls, test in (("StdlibConnectionTests", "test_b_ping"), ("HarnessConnectionTests", "test_b_reply")):
            with self.subTest(cls):
                note = (f"note: the test_pool.Connection used here was made on the event loop of "
                        f"test_pool.{cls}.test_a_connect, which "
                        "ended with that test; every test gets a fresh loop. Create it in the test or in "
                        "asyncSetUp, or share it between the tests of one class with loop_scope = \"class\" "
                        "(create it in asyncSetUpClass), rather than caching it at module or class level.")
                self.assertIn(note, self.stale.tests[f"test_pool.{cls}.{test}"]["longrepr"])
                self.assertIn(note, self.stale.stdout)

    def test_an_object_of_a_class_loop_used_after_the_class_names_the_class(self):
        entry = self.stale.tests["test_pool.UsesTheClassPoolLaterTests.test_reply"]
        self.assertEqual(entry["outcome"], "error")
        self.assertIn(
            "note: the asyncio Future used here was made on the event loop of class test_pool.ClassPoolTests "
            '(loop_scope = "class"), '
            "which ended with asyncTearDownClass; every test gets a fresh loop.", entry["longrepr"],
        )

    def test_a_trio_token_of_a_previous_tests_run_names_that_test(self):
        entry = self.stale.tests["test_pool.TrioTokenTests.test_b_wake"]
        self.assertEqual(entry["outcome"], "error")
        self.assertEqual(entry["message"], "trio.RunFinishedError: run() has exited")
        self.assertIn(
            "note: the object was made in the trio run of test_pool.TrioTokenTests.test_a_remember, which ended with "
            "that test; every test gets a fresh trio run. Call trio from the test's async parts, and create the "
            "object in the test or in asyncSetUp, or share it between the tests of one class with "
            'loop_scope = "class" (create it in asyncSetUpClass), rather than caching it at module or class level.',
            entry["longrepr"],
        )

    def test_trio_called_outside_the_run_says_where_the_run_is(self):
        entry = self.stale.tests["test_pool.TrioTokenTests.test_c_sync_part"]
        self.assertEqual(entry["message"], "RuntimeError: must be called from async context")
        self.assertRegex(entry["longrepr"], r"(?m)^note: a trio function was called outside any trio run \(on trio, "
                                            r"setUp, tearDown, sync tests and sync cleanups run outside the run\)")


class LibraryCrossLoopTests(unittest.TestCase):
    """Cross-loop failures as libraries raise them: slotted objects, their own errors, chained and grouped."""

    @classmethod
    def setUpClass(cls):
        cls.library = start("cross_loop_library", "--bucket", "none").result()  # discovery order: connect first

    def note_of(self, name):
        entry = self.library.test(f"ClientTests.{name}")
        self.assertIn(entry["outcome"], ("failed", "error"), self.library.describe())
        notes = [line for line in entry["longrepr"].splitlines() if line.startswith("note: ")]
        self.assertLessEqual(len(notes), 1, entry["longrepr"])
        return notes[0] if notes else None

    def test_a_slotted_object_of_another_tests_loop_is_named_even_when_the_error_says_nothing_about_loops(self):
        for name in ("test_b_query_on_a_cached_connection", "test_c_query_through_a_slotted_pool"):
            with self.subTest(name):
                self.assertRegex(
                    self.note_of(name) or "",
                    r"^note: the test_client\.Connection used here was made on the event loop of "
                    r"test_client\.ClientTests\.test_a_connect, which ended with that test; every test gets a fresh "
                    r"loop\. Create it in the test or in asyncSetUp, or share it between the tests of one class with "
                    r'loop_scope = "class" \(create it in asyncSetUpClass\)',
                )

    def test_a_loop_error_down_the_chain_or_in_a_group_gets_the_note(self):
        for name in ("test_d_library_error_raised_from_a_loop_error", "test_e_loop_error_in_a_group"):
            with self.subTest(name):
                self.assertRegex(self.note_of(name) or "", r"^note: this object belongs to another event loop; ")

    def test_failures_that_have_nothing_to_do_with_another_loop_get_no_note(self):
        for name in ("test_f_plain_failure", "test_g_unrelated_error"):
            with self.subTest(name):
                self.assertIsNone(self.note_of(name))
        self.assertEqual(self.library.test("ClientTests.test_a_connect")["outcome"], "passed")


class UnreferencedTaskTests(unittest.TestCase):
    def test_a_pending_task_nothing_refers_to_is_left_running_not_destroyed_by_a_collection(self):
        run = run_harness("unreferenced_task", "--seed", "1")
        for cls, name in (("HarnessTests", "unreferenced"), ("StdlibTests", "unreferenced-stdlib")):
            with self.subTest(cls):
                created = line_of("unreferenced_task", "test_unreferenced.py", f'name="{name}")')
                entry = run.tests[f"test_unreferenced.{cls}.test_leaves_an_unreferenced_task"]
                self.assertEqual(entry["outcome"], "passed", run.describe())
                self.assertEqual(entry["unhandled_errors"], [])
                self.assertEqual([(t["name"], t["created_at"].split(" in ")[0]) for t in entry["residual_tasks"]],
                                 [(name, f"test_unreferenced.py:{created}")])
