"""Ctrl-C and SIGTERM mid-run: the run stops, says which test was stopped, and still writes its reports.

Ctrl-C goes to every process of the terminal's group, so these runs get their own group and the signal
goes to the group (the runner; its workers have groups of their own), except where a test sends it to the runner
alone (`kill -INT`), which must do the same.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from tests.support import SAMPLES, TIMEOUT, environment

SLOW = {
    "sync": "test_interrupt.BSlowTests.test_sleeps_sync",
    "asyncio": "test_interrupt.CSlowAsyncTests.test_sleeps_async",
    "trio": "test_interrupt.DSlowTrioTests.test_sleeps_trio",
}
QUICK = "test_interrupt.AQuickTests.test_quick"
LAST = "test_interrupt.ZLastTests.test_never_runs_after_a_stop"
STOPPING = "harness: stopping after the running test (its teardown runs); press Ctrl-C again to stop at once"


class _Interrupted:
    """One run of the interrupt sample, signalled once its slow test has started."""

    def __init__(self, slow: str, signals: tuple[int, ...], to_group: bool = True, release: bool = False) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="harness-interrupt-")
        self.json_path = os.path.join(self.folder.name, "report.json")
        self.junit_path = os.path.join(self.folder.name, "report.xml")
        self.marker = os.path.join(self.folder.name, "started")
        self.torn_down = os.path.join(self.folder.name, "torn-down")
        self.release = os.path.join(self.folder.name, "release") if release else None
        self.signals, self.to_group = signals, to_group
        env = environment() | {"HARNESS_SAMPLE_MARKER": self.marker, "HARNESS_SAMPLE_TORN_DOWN": self.torn_down,
                               "HARNESS_SAMPLE_RELEASE": self.release or ""}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness", "--bucket", "none", "--seed", "1", "--json", self.json_path,
             "--junit-xml", self.junit_path, QUICK, slow, LAST],
            cwd=os.path.join(SAMPLES, "interrupt"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        )

    def finish(self) -> tuple[int, str, str, dict, ET.Element, bool, float]:
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(self.marker) and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.01)
        time.sleep(0.2)  # into the sleep
        signalled = time.monotonic()
        for signum in self.signals:
            if self.to_group:
                os.killpg(self.process.pid, signum)
            else:
                self.process.send_signal(signum)
            time.sleep(0.1)
        if self.release:  # the slow test may finish now: the run must stop after it
            time.sleep(0.3)
            with open(self.release, "w"):
                pass
        try:
            stdout, stderr = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise AssertionError("the harness did not stop after the signal") from None
        stopped_after = time.monotonic() - signalled
        with open(self.json_path, encoding="utf-8") as file:
            report = json.load(file)
        junit = ET.parse(self.junit_path).getroot()
        torn_down = os.path.exists(self.torn_down)
        self.folder.cleanup()
        return self.process.returncode, stdout, stderr, report, junit, torn_down, stopped_after


def _outcomes(report: dict) -> dict[str, str]:
    return {entry["id"]: entry["outcome"] for entry in report["tests"]}


class StopAtOnceTests(unittest.TestCase):
    """Two Ctrl-Cs, or SIGTERM: the running test is stopped where it is."""

    @classmethod
    def setUpClass(cls):
        started = {(kind, name): _Interrupted(slow, signals, to_group=name == "Ctrl-C twice")
                   for kind, slow in SLOW.items()
                   for name, signals in (("Ctrl-C twice", (signal.SIGINT, signal.SIGINT)),
                                         ("SIGINT twice to the runner", (signal.SIGINT, signal.SIGINT)),
                                         ("SIGTERM", (signal.SIGTERM,)))}
        cls.runs = {key: run.finish() for key, run in started.items()}

    def test_the_run_exits_2_and_writes_both_reports(self):
        for (kind, name), (code, stdout, stderr, report, junit, _, stopped_after) in self.runs.items():
            with self.subTest(kind=kind, signal=name):
                self.assertEqual(code, 2, stdout + stderr)
                self.assertTrue(report["interrupted"])
                self.assertEqual(_outcomes(report), {QUICK: "passed", SLOW[kind]: "error"})
                self.assertEqual(stdout.splitlines()[-1], "1 passed, 1 failed, 0 skipped")
                self.assertIn("rerun this order with: python -m harness --seed 1 --bucket none", stdout)
                self.assertEqual(len(list(junit.iter("testcase"))), 2)
                self.assertNotIn("Traceback", stderr)
                self.assertLess(stopped_after, 10)  # not the 30 s the test sleeps

    def test_the_interrupted_test_says_how_it_was_stopped(self):
        for (kind, name), (_, stdout, _, report, _, _, _) in self.runs.items():
            with self.subTest(kind=kind, signal=name):
                entry = next(entry for entry in report["tests"] if entry["id"] == SLOW[kind])
                how = "interrupted (KeyboardInterrupt)" if name != "SIGTERM" else "terminated (SIGTERM)"
                self.assertEqual(entry["message"], f"{how} while this test ran")
                self.assertIn(f"ERROR: {SLOW[kind]} ", stdout)
                self.assertRegex(stdout, r"\ninterrupted after 2 tests in \d+\.\d\d s \(1 error\)\n")


class StopAfterTheTestTests(unittest.TestCase):
    """One Ctrl-C: the running test finishes, its teardown runs, and nothing after it starts."""

    @classmethod
    def setUpClass(cls):
        started = {(kind, whom): _Interrupted(slow, (signal.SIGINT,), to_group=whom == "group", release=True)
                   for kind, slow in SLOW.items() for whom in ("group", "runner")}
        cls.runs = {key: run.finish() for key, run in started.items()}

    def test_the_running_test_finishes_and_the_next_does_not_start(self):
        for (kind, whom), (code, stdout, stderr, report, junit, torn_down, _) in self.runs.items():
            with self.subTest(kind=kind, sent_to=whom):
                self.assertEqual(code, 2, stdout + stderr)
                self.assertTrue(report["interrupted"])
                self.assertEqual(_outcomes(report), {QUICK: "passed", SLOW[kind]: "passed"})
                self.assertTrue(torn_down, "the test's teardown did not run")
                self.assertEqual(stdout.splitlines()[-1], "2 passed, 0 failed, 0 skipped")
                self.assertRegex(stdout, r"\ninterrupted after 2 tests in \d+\.\d\d s\n")
                self.assertEqual(len(list(junit.iter("testcase"))), 2)

    def test_the_user_is_told_what_happens_and_how_to_stop_at_once(self):
        for (kind, whom), (_, _, stderr, _, _, _, _) in self.runs.items():
            with self.subTest(kind=kind, sent_to=whom):
                self.assertEqual(stderr.count(STOPPING), 1, stderr)
                self.assertNotIn("Traceback", stderr)


class TestRaisesKeyboardInterruptTests(unittest.TestCase):
    def test_it_is_that_tests_error_and_the_run_goes_on(self):
        done = subprocess.run(
            [sys.executable, "-m", "harness", "--bucket", "none", "--seed", "1", "-v",
             QUICK, "test_interrupt.ERaisesKeyboardInterruptTests", LAST],
            cwd=os.path.join(SAMPLES, "interrupt"), env=environment(), capture_output=True, text=True,
            timeout=TIMEOUT,
        )
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("test_interrupt.ERaisesKeyboardInterruptTests.test_raises_it ... ERROR", done.stdout)
        self.assertIn("KeyboardInterrupt raised by the test itself (not a Ctrl-C; a SIGINT it sent its own process?): "
                      "the run goes on, in a fresh worker", done.stdout)
        self.assertIn(f"{LAST} ... ok", done.stdout)
        self.assertEqual(done.stdout.splitlines()[-1], "2 passed, 1 failed, 0 skipped")
