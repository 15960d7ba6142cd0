"""Tests that break what a runner relies on (clocks, print, open, streams, PATH, the cwd, signals, the loop policy,
the loop itself, 10 MB of output, a thread that never ends): the run completes, blames them, and reports right."""
from __future__ import annotations

import math
import re
import unittest

from tests.support import IN_PROCESS, Run, start

OPTIONS = ("--bucket", "none", "--seed", "1", "-v")
BOUND = 30  # seconds: the run takes about one; a thread keeping a process alive would hit the support's 60 s limit

# Each hostile test, and what the state probes must say it changed (the innocent test after it changes nothing).
BLAMED = {
    "test_01_asyncio_sleep.HostileTests.test_patches_asyncio_sleep": [("attributes", "asyncio.sleep replaced by ")],
    "test_01_asyncio_sleep.IsolatedHostileTests.test_patches_asyncio_sleep": [
        ("attributes", "asyncio.sleep replaced by ")],
    "test_02_clocks.HostileTests.test_patches_every_clock": [
        ("attributes", "time.monotonic replaced by "), ("attributes", "time.time replaced by "),
        ("attributes", "time.perf_counter replaced by ")],
    "test_02_clocks.LoopHostileTests.test_stops_the_loops_clock": [
        ("attributes", "time.monotonic replaced by "), ("attributes", "time.perf_counter replaced by ")],
    "test_02_clocks.TrioHostileTests.test_patches_the_clocks": [
        ("attributes", "time.monotonic replaced by "), ("attributes", "time.perf_counter replaced by ")],
    "test_03_thread_pool.HostileTests.test_patches_the_thread_pool": [
        ("attributes", "concurrent.futures.ThreadPoolExecutor replaced by no_pools")],
    "test_04_print.HostileTests.test_patches_print": [("attributes", "builtins.print replaced by no_print")],
    "test_05_open.HostileTests.test_fails_with_open_patched": [("attributes", "builtins.open replaced by no_open")],
    "test_05_open.HostileTests.test_patches_open": [("attributes", "builtins.open replaced by no_open")],
    "test_06_streams.HostileTests.test_replaces_stderr_by_none": [("hooks", "sys.stderr replaced by None")],
    "test_06_streams.HostileTests.test_replaces_stdout": [("hooks", "sys.stdout replaced by io.StringIO object")],
    "test_07_path.HostileTests.test_deletes_path": [("environ", "os.environ['PATH'] removed")],
    "test_08_deleted_cwd.HostileTests.test_deletes_its_working_directory": [
        ("cwd", "working directory changed from ")],
    "test_08_deleted_cwd.LoopHostileTests.test_fails_in_a_deleted_directory_leaving_a_task": [
        ("cwd", "working directory changed from ")],
    "test_09_signals.HostileTests.test_installs_handlers": [
        ("signals", "signal handler for SIGINT set to SIG_IGN (was "),  # Python's default one in a worker
        ("signals", "signal handler for SIGTERM set to swallow ")],
    "test_10_policy.HostileTests.test_sets_a_policy": [("asyncio", "asyncio event loop policy set to ")],
    "test_10_policy.LoopHostileTests.test_sets_a_policy_on_its_loop": [
        ("asyncio", "asyncio event loop policy set to ")],
    "test_10_policy.TrioHostileTests.test_sets_a_policy_under_trio": [
        ("asyncio", "asyncio event loop policy set to ")],
    "test_10_policy.ZIsolatedHostileTests.test_sets_a_policy": [("asyncio", "asyncio event loop policy set to ")],
    "test_13_thread.HostileTests.test_starts_an_endless_thread": [("threads", "thread 'endless' ")],
}

# The tests that do not pass, on purpose, with their message (anchored).
NOT_PASSED = {
    "test_05_open.HostileTests.test_fails_with_open_patched": (
        "failed", r"^AssertionError: 1 != 2 : a failure whose"),
    "test_08_deleted_cwd.LoopHostileTests.test_fails_in_a_deleted_directory_leaving_a_task": (
        "failed", r"AssertionError: a failure reported from a directory that no longer exists$"),
    "test_10_policy.ZIsolatedHostileTests.test_sets_a_policy": (
        "error", r"^RuntimeError: RefusingPolicy sets no loops$"),
    "test_11_loop_close.HostileInSetUpTests.test_cannot_run": (
        "error", r"^harness\.testcase\.backends\.session\.LoopMisuse: HostileInSetUpTests\.test_cannot_run could not "
                 r"run: the test's event loop was closed \(loop\.close\(\) in the test or its setUp\?\); remove that "
                 r"call"),
    "test_11_loop_close.HostileTests.test_closes_the_loop_between_parts": (
        "error", r"^harness\.findings\.unhandled\.UnhandledError: the test closed its event loop "
                 r"\(loop\.close\(\)\) before harness's teardown; remove that call: harness closes each test's loop "
                 r"itself, after its cleanups$"),
    "test_11_loop_close.HostileTests.test_closes_the_running_loop": (
        "error", r"^RuntimeError: Cannot close a running event loop$"),
    "test_11_loop_close.HostileTests.test_stops_the_loop": (
        "error", r"^harness\.testcase\.backends\.session\.LoopMisuse: HostileTests\.test_stops_the_loop stopped the "
                 r"test's event loop \(loop\.stop\(\)\) before it finished; remove that call"),
    "test_11_loop_close.IsolatedHostileTests.test_stops_the_loop": (
        "error", r"^RuntimeError: Event loop stopped before Future completed\.$"),
}


class HostileChecks:
    """What every run of the hostile sample must show, whichever process runs the tests."""

    hostile: Run

    def test_the_run_completes_in_time_with_the_summary_last(self):
        self.assertEqual(self.hostile.code, 1, self.hostile.describe())
        self.assertLess(self.hostile.elapsed, BOUND, self.hostile.describe())
        self.assertEqual(self.hostile.lines()[-1], "41 passed, 8 failed, 0 skipped", self.hostile.describe())
        self.assertNotIn("Traceback", self.hostile.stderr)

    def test_every_test_has_its_outcome(self):
        outcomes = self.hostile.outcomes
        self.assertEqual(len(outcomes), 49, sorted(outcomes))
        self.assertEqual(self.hostile.order, list(outcomes))  # one report per test, in discovery order (--bucket none)
        for test_id, outcome in outcomes.items():
            expected = NOT_PASSED.get(test_id, ("passed", r"^$"))
            self.assertEqual(outcome, expected[0], test_id)
            self.assertRegex(self.hostile.tests[test_id]["message"], expected[1], test_id)

    def test_the_hostile_test_is_blamed_and_the_innocent_one_is_clean(self):
        for test_id, entry in self.hostile.tests.items():
            changes = [(c["probe"], c["detail"]) for c in entry["state_changes"]]
            expected = BLAMED.get(test_id, [])
            self.assertEqual(len(changes), len(expected), f"{test_id}: {changes}")
            for (probe, detail), (want_probe, want_start) in zip(changes, expected, strict=True):
                self.assertEqual(probe, want_probe, test_id)
                self.assertTrue(detail.startswith(want_start), f"{test_id}: {detail!r}")
            restorable = [c for c in entry["state_changes"] if c["probe"] != "threads"]
            self.assertTrue(all(c["restored"] for c in restorable), test_id)

    def test_durations_are_measured_on_harness_own_clock(self):
        for test_id, entry in self.hostile.tests.items():
            self.assertTrue(math.isfinite(entry["duration"]) and 0 <= entry["duration"] < 10, (test_id, entry))
        self.assertTrue(0 < self.hostile.report["duration"] < BOUND)
        for case in self.hostile.junit.iter("testcase"):
            self.assertLess(float(case.get("time")), 10)

    def test_both_reports_parse_and_agree(self):
        cases = list(self.hostile.junit.iter("testcase"))
        self.assertEqual(len(cases), 49)
        suite = next(self.hostile.junit.iter("testsuite"))
        self.assertEqual((suite.get("failures"), suite.get("errors")), ("2", "6"))

    def test_output_is_captured_for_the_test_that_printed_it(self):
        self.assertEqual(self.hostile.test("test_04_print.InnocentTests.test_prints")["stdout"], "innocent output\n")
        streams = self.hostile.test("test_06_streams.InnocentTests.test_prints_to_both")
        self.assertEqual((streams["stdout"], streams["stderr"]), ("innocent stdout\n", "innocent stderr\n"))
        big = self.hostile.test("test_12_big_output.HostileTests.test_prints_ten_megabytes")["stdout"]
        self.assertRegex(big, r"\n\[harness: [\d,]+ characters cut from the middle of 10,000,000\]\n")
        self.assertEqual(self.hostile.test("test_12_big_output.InnocentTests.test_prints_a_line")["stdout"],
                         "innocent line\n")

    def test_a_task_left_in_a_deleted_directory_is_still_described(self):
        entry = self.hostile.test("LoopHostileTests.test_fails_in_a_deleted_directory_leaving_a_task")
        (task,) = entry["residual_tasks"]
        self.assertEqual(task["name"], "stranded")
        self.assertRegex(task["created_at"], r"test_08_deleted_cwd\.py:\d+ in test_fails_in_a_deleted_directory")


class InWorkersTests(HostileChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hostile = start("hostile", *OPTIONS, junit=True).result()


class InProcessTests(HostileChecks, unittest.TestCase):
    """A thread running in the runner makes harness run the tests in its own process: the runner itself."""

    @classmethod
    def setUpClass(cls):
        cls.hostile = start("hostile", *OPTIONS, junit=True, env=IN_PROCESS).result()

    def test_the_runner_does_not_wait_for_the_endless_thread(self):
        self.assertIn("harness: note: running in this process", self.hostile.stderr)
        self.assertRegex(self.hostile.stderr,
                         r"(?m)^harness: not waiting for 1 thread that tests left running \(endless\)")


class WithoutRestoreTests(unittest.TestCase):
    """--no-restore leaves every fake in place for the tests after: harness still keeps time and reports."""

    @classmethod
    def setUpClass(cls):
        cls.runs = [start("hostile", *OPTIONS, "--no-restore", junit=True, env=env).result()
                    for env in (None, IN_PROCESS)]

    def test_the_runs_complete_with_sane_durations_and_reports(self):
        for run in self.runs:
            self.assertEqual(run.code, 1, run.describe())
            self.assertLess(run.elapsed, BOUND)
            self.assertRegex(run.lines()[-1], r"^\d+ passed, \d+ failed, 0 skipped$")
            self.assertEqual(len(run.tests), 49, run.describe())
            self.assertEqual(len(list(run.junit.iter("testcase"))), 49)
            for test_id, entry in run.tests.items():
                self.assertTrue(0 <= entry["duration"] < 10, (test_id, entry["duration"]))
            self.assertNotIn("Traceback", run.stderr)
            self.assertIsNone(re.search(r"internal error", run.stderr))

    def test_a_fake_left_in_place_fails_the_tests_after_it_not_the_run(self):
        for run in self.runs:
            self.assertEqual(run.tests["test_04_print.InnocentTests.test_prints"]["outcome"], "failed")
            self.assertEqual(run.tests["test_13_thread.InnocentTests.test_runs"]["outcome"], "passed")
