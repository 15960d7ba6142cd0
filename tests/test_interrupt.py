"""Ctrl-C and SIGTERM mid-run: the run stops, says which test was interrupted, and still writes its reports."""
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


class _Interrupted:
    """One run of the interrupt sample, signalled once its slow test has started."""

    def __init__(self, slow: str, signum: int) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="harness-interrupt-")
        self.json_path = os.path.join(self.folder.name, "report.json")
        self.junit_path = os.path.join(self.folder.name, "report.xml")
        self.marker = os.path.join(self.folder.name, "started")
        self.signum = signum
        env = environment() | {"HARNESS_SAMPLE_MARKER": self.marker}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness", "--bucket", "none", "--seed", "1", "--json", self.json_path,
             "--junit-xml", self.junit_path, QUICK, slow],
            cwd=os.path.join(SAMPLES, "interrupt"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def finish(self) -> tuple[int, str, str, dict, ET.Element]:
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(self.marker) and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.01)
        time.sleep(0.1)  # into the sleep
        self.process.send_signal(self.signum)
        try:
            stdout, stderr = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("the harness did not stop after the signal") from None
        with open(self.json_path, encoding="utf-8") as file:
            report = json.load(file)
        junit = ET.parse(self.junit_path).getroot()
        self.folder.cleanup()
        return self.process.returncode, stdout, stderr, report, junit


class InterruptTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        started = {(kind, signum): _Interrupted(slow, signum)
                   for kind, slow in SLOW.items() for signum in (signal.SIGINT, signal.SIGTERM)}
        cls.runs = {key: run.finish() for key, run in started.items()}

    def test_the_run_exits_2_and_writes_both_reports(self):
        for (kind, signum), (code, stdout, stderr, report, junit) in self.runs.items():
            with self.subTest(kind=kind, signal=signal.Signals(signum).name):
                self.assertEqual(code, 2, stdout + stderr)
                self.assertTrue(report["interrupted"])
                outcomes = {entry["id"]: entry["outcome"] for entry in report["tests"]}
                self.assertEqual(outcomes, {QUICK: "passed", SLOW[kind]: "error"})
                self.assertEqual(stdout.splitlines()[-1], "1 passed, 1 failed, 0 skipped")
                self.assertIn("rerun this order with: python -m harness --seed 1 --bucket none", stdout)
                self.assertEqual(len(list(junit.iter("testcase"))), 2)
                self.assertNotIn("Traceback", stderr)

    def test_the_interrupted_test_says_how_it_was_stopped(self):
        for (kind, signum), (_, stdout, _, report, _) in self.runs.items():
            with self.subTest(kind=kind, signal=signal.Signals(signum).name):
                entry = next(entry for entry in report["tests"] if entry["id"] == SLOW[kind])
                how = "interrupted (KeyboardInterrupt)" if signum == signal.SIGINT else "terminated (SIGTERM)"
                self.assertEqual(entry["message"], f"{how} while this test ran")
                self.assertIn(f"ERROR: {SLOW[kind]} ", stdout)
                self.assertRegex(stdout, r"\ninterrupted after 2 tests in \d+\.\d\d s \(1 error\)\n")
