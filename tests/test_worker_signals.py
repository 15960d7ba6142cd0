"""What a worker looks like to its tests as far as signals go, and what a test's signals, timers and children may
not do to the run: SIGINT as under plain unittest, timers put back with their handlers, no process left behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from tests.support import SAMPLES, TIMEOUT, environment, start

SIGINT = "test_sigint."
TIMERS = "test_timers."
# An alarm(1) seen at the test's end: "in 1 s", or a little less on a loaded machine
ALARM = r"timer left armed \(signal\.alarm or setitimer\(ITIMER_REAL\)\): SIGALRM in (1|0\.\d+) s"


class SigintTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_ = start("signals", "--seed", "1", "--bucket", "none", "-j", "2", targets=("test_sigint",)).result()

    def test_asyncio_runner_and_loop_signal_handlers_get_sigint_as_under_unittest(self):
        done = subprocess.run([sys.executable, "-m", "unittest", "test_sigint.ASigintTests"],
                              cwd=os.path.join(SAMPLES, "signals"), env=environment(), capture_output=True, text=True,
                              timeout=TIMEOUT)
        self.assertEqual(done.returncode, 0, done.stderr)
        for name in ("test_sigint_has_pythons_default_handler", "test_loop_signal_handler_gets_sigint",
                     "test_asyncio_runner_turns_sigint_into_keyboard_interrupt"):
            self.assertEqual(self.run_.test(f"ASigintTests.{name}")["outcome"], "passed", self.run_.describe())

    def test_a_test_that_interrupts_itself_is_its_error_and_the_run_goes_on(self):
        self.assertEqual(self.run_.code, 1, self.run_.describe())
        self.assertFalse(self.run_.report["interrupted"])
        entry = self.run_.test("BInterruptsItselfTests.test_sends_itself_sigint")
        self.assertEqual(entry["outcome"], "error")
        self.assertEqual(entry["message"], "KeyboardInterrupt raised by the test itself (not a Ctrl-C; a SIGINT it "
                                           "sent its own process?): the run goes on, in a fresh worker")
        self.assertEqual(self.run_.test("CAfterTests.test_runs_after_it")["outcome"], "passed")
        self.assertEqual(self.run_.lines()[-1], "4 passed, 1 failed, 0 skipped")

    def test_a_fixture_that_raises_keyboard_interrupt_skips_its_class_and_the_run_goes_on(self):
        run = start("signals", "--seed", "1", "--bucket", "none", targets=("test_sigint_fixture",)).result()
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.outcomes, {"worker 1": "error", "test_sigint_fixture.BAfterTests.test_runs": "passed"})
        self.assertEqual(run.tests["worker 1"]["message"], (
            "worker 1 stopped: KeyboardInterrupt raised outside a test, not a Ctrl-C, before test_sigint_fixture."
            "AInterruptingFixtureTests.test_never_runs started (in setUpModule or setUpClass?); 1 test of "
            "test_sigint_fixture.AInterruptingFixtureTests did not run"))

    def test_no_finding_names_harnesss_own_handlers(self):
        for test_id, entry in self.run_.tests.items():
            self.assertEqual(entry["state_changes"], [], test_id)
        self.assertNotIn("harness's", self.run_.stdout)


def _has_cpython_tests() -> bool:
    try:
        import test.test_asyncio.test_runners  # noqa: F401
    except ImportError:
        return False
    return True


@unittest.skipUnless(_has_cpython_tests(), "this Python has no test package (test.test_asyncio)")
class CPythonRunnerTests(unittest.TestCase):
    def test_cpythons_own_asyncio_runner_tests_pass_as_under_unittest(self):
        with tempfile.TemporaryDirectory(prefix="harness-cpython-") as folder:
            report = os.path.join(folder, "report.json")
            done = subprocess.run(
                [sys.executable, "-m", "harness", "--seed", "1", "--json", report, "test.test_asyncio.test_runners"],
                cwd=folder, env=environment(), capture_output=True, text=True, timeout=TIMEOUT)
            with open(report, encoding="utf-8") as file:
                entries = json.load(file)["tests"]
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("test.test_asyncio.test_runners.RunnerTests.test_interrupt_cancelled_task",
                      {entry["id"] for entry in entries})
        self.assertEqual([entry["id"] for entry in entries if entry["outcome"] != "passed"], [])
        self.assertEqual([entry["state_changes"] for entry in entries if entry["state_changes"]], [])


class TimerTests(unittest.TestCase):
    def test_an_alarm_left_armed_is_reported_and_disarmed_with_its_handler_put_back(self):
        run = start("signals", "--seed", "1", "--bucket", "none", targets=("test_timers",)).result()
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(set(run.outcomes.values()), {"passed"})
        changes = run.test("AIgnoredAlarmTests.test_arms_an_alarm_with_sigalrm_ignored")["state_changes"]
        self.assertEqual(len(changes), 2, run.describe())
        self.assertEqual(changes[0]["detail"], "signal handler for SIGALRM set to SIG_IGN (was SIG_DFL)")
        self.assertRegex(changes[1]["detail"], f"^{ALARM}$")
        self.assertEqual([change["restored"] for change in changes], [True, True])
        bare = run.test("BBareAlarmTests.test_arms_an_alarm")["state_changes"]
        self.assertEqual(len(bare), 1, run.describe())
        self.assertRegex(bare[0]["detail"], f"^{ALARM}$")

    def test_an_alarm_armed_before_the_test_and_set_again_is_left_as_the_test_left_it(self):
        run = start("signals", "--seed", "1", "--bucket", "none", targets=("test_timers",)).result()
        changes = run.test("DRearmsAnArmedAlarmTests.test_sets_the_alarm_again")["state_changes"]
        self.assertEqual(len(changes), 2, run.describe())
        self.assertTrue(changes[0]["detail"].startswith("signal handler for SIGALRM set to SIG_IGN (was _quiet "))
        self.assertRegex(changes[1]["detail"], r"^timer left armed \(signal\.alarm or setitimer\(ITIMER_REAL\)\): "
                                               r"SIGALRM in 2\d\d s$")
        self.assertEqual([change["restored"] for change in changes], [False, False])

    def test_a_worker_killed_by_a_timer_says_what_the_signal_means_and_which_test_armed_it(self):
        run = start("signals", "--seed", "1", "--bucket", "none", "--no-restore",
                    targets=(TIMERS + "BBareAlarmTests", TIMERS + "CInnocentTests")).result()
        self.assertEqual(run.code, 1, run.describe())
        self.assertRegex(run.test("CInnocentTests.test_sleeps_past_the_alarm")["message"], (
            r"^crashed: was killed by signal SIGALRM \(an alarm timer fired with no handler: signal\.alarm or "
            rf"setitimer\(ITIMER_REAL\)\); {TIMERS}BBareAlarmTests\.test_arms_an_alarm ran earlier in this worker "
            rf"and armed its timer \({ALARM}\)$"))


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as file:
            return file.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@unittest.skipUnless(sys.platform.startswith("linux"), "reads /proc")
class ChildrenTests(unittest.TestCase):
    def test_processes_a_test_left_do_not_outlive_its_killed_worker(self):
        with tempfile.TemporaryDirectory(prefix="harness-children-") as folder:
            pids_file = os.path.join(folder, "pids")
            run = start("signals", "--seed", "1", "--bucket", "none", targets=("test_children",),
                        env={"HARNESS_SAMPLE_PIDS": pids_file}).result()
            with open(pids_file, encoding="ascii") as file:
                pids = [int(line) for line in file]
        self.assertEqual(run.outcomes, {
            "test_children.ALeavesChildrenTests.test_leaves_a_sleep": "passed",
            "test_children.ALeavesChildrenTests.test_leaves_a_grandchild": "passed",
            "test_children.BKillsItsWorkerTests.test_worker_is_killed": "error"}, run.describe())
        self.assertEqual(len(pids), 2)
        deadline = time.monotonic() + 5  # the run has ended: this only waits for the kernel to finish the kills
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual([pid for pid in pids if _alive(pid)], [])

    def test_a_worker_does_not_outlive_its_runner_killed_by_sigkill(self):
        with tempfile.TemporaryDirectory(prefix="harness-orphan-") as folder:
            pids_file = os.path.join(folder, "pids")
            process = subprocess.Popen(
                [sys.executable, "-m", "harness", "--seed", "1", "test_runner_killed"],
                cwd=os.path.join(SAMPLES, "signals"), env=environment({"HARNESS_SAMPLE_PIDS": pids_file}),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + TIMEOUT
            while not os.path.exists(pids_file) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.1)
            process.kill()
            process.wait()
            with open(pids_file, encoding="ascii") as file:
                worker = int(file.read())
        deadline = time.monotonic() + 5
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(_alive(worker), "the worker outlived its runner")


class InheritedIgnoreTests(unittest.TestCase):
    """A run started with SIGINT ignored (nohup, `cmd &` in a script) gives its tests SIGINT ignored, as unittest."""

    def _outcome_of(self, runner: list[str], ignore: bool) -> str:
        def preexec() -> None:
            signal.signal(signal.SIGINT, signal.SIG_IGN if ignore else signal.SIG_DFL)

        done = subprocess.run([sys.executable, *runner, "test_sigint_ignored"], cwd=os.path.join(SAMPLES, "signals"),
                              env=environment(), capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=preexec)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        # unittest: "OK (skipped=1)" on stderr; harness: "0 passed, 0 failed, 1 skipped" as its last line
        skipped = "OK (skipped=1)" in done.stderr or done.stdout.rstrip().endswith("0 passed, 0 failed, 1 skipped")
        return "skipped" if skipped else "passed"

    def test_the_test_sees_sigint_as_the_run_was_given_it_as_under_unittest(self):
        for ignore in (True, False):
            with self.subTest(ignore=ignore):
                expected = self._outcome_of(["-m", "unittest"], ignore)
                self.assertEqual(expected, "skipped" if ignore else "passed")
                self.assertEqual(self._outcome_of(["-m", "harness", "--seed", "1"], ignore), expected)
