"""Output capture at the descriptor level: what child processes and C-level writes put on descriptors 1 and 2 is in
the report of the test that wrote it, and a test that redirects descriptor 1 itself behaves as under unittest."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from tests.support import IN_PROCESS, SAMPLES, TIMEOUT, Run, environment, start, unittest_outcomes

# What each test of the fd_capture sample writes, stream by stream: the whole of its report's stdout and stderr.
WRITTEN = {
    "test_fd_output.ChildProcessTests.test_child_writes_stdout": ("child stdout of test_child_writes_stdout\n", ""),
    "test_fd_output.ChildProcessTests.test_child_writes_stderr": ("", "child stderr of test_child_writes_stderr\n"),
    "test_fd_output.ChildProcessTests.test_dup2_onto_stdout_then_child": (
        "after the redirection of test_dup2_onto_stdout_then_child\n", ""),
    "test_fd_output.ChildProcessTests.test_dup2_onto_stderr_then_child": ("", ""),
    "test_fd_output.DescriptorTests.test_os_write": ("fd 1 of test_os_write\n", "fd 2 of test_os_write\n"),
    "test_fd_output.DescriptorTests.test_interleaved": (
        "print 1 of test_interleaved\nos.write 2 of test_interleaved\nbuffer 3 of test_interleaved\n"
        "child 4 of test_interleaved\nprint 5 of test_interleaved\n", ""),
    "test_fd_output.DescriptorTests.test_dunder_stdout": (
        "sys.__stdout__ of test_dunder_stdout\n", "sys.__stderr__ of test_dunder_stdout\n"),
    "test_fd_output.DescriptorTests.test_prints_nothing": ("", ""),
    "test_fd_more.FixtureTests.test_after_a_fixture": ("print of test_after_a_fixture\n", ""),
    "test_fd_more.AsyncChildTests.test_asyncio_child": ("asyncio child of test_asyncio_child\n", ""),
}
FIXTURE_OUTPUT = ("setUpClass print of FixtureTests", "setUpClass fd 1 of FixtureTests")
SLOW = "test_interrupt.BSlowTests.test_sleeps_sync"  # in the interrupt sample: sleeps until released
STOPPING = "harness: stopping after the running test (its teardown runs); press Ctrl-C again to stop at once"


class CaptureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "workers": start("fd_capture", "--seed", "1", "-v", junit=True),
            "two workers": start("fd_capture", "--seed", "2", "-v", "-j", "2"),
            "in process": start("fd_capture", "--seed", "3", "-v", env=IN_PROCESS),
        }
        cls.runs: dict[str, Run] = {name: started.result() for name, started in runs.items()}
        cls.unittest = unittest_outcomes("fd_capture")

    def test_tests_that_redirect_descriptors_or_check_filenos_pass_as_under_unittest(self):
        self.assertEqual(set(self.unittest["outcomes"].values()), {"passed"})
        self.assertEqual(len(self.runs["two workers"].report["workers"]), 2)
        for name, run in self.runs.items():
            with self.subTest(name):
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual(run.outcomes, self.unittest["outcomes"], run.describe())

    def test_child_processes_and_descriptor_writes_are_in_the_report_of_the_test_that_wrote_them(self):
        for name, run in self.runs.items():
            with self.subTest(name):
                found = {test_id: (entry["stdout"], entry["stderr"]) for test_id, entry in run.tests.items()}
                self.assertEqual(found, WRITTEN, run.describe())

    def test_what_tests_write_is_not_on_the_terminal_but_fixture_output_is(self):
        for name, run in self.runs.items():
            with self.subTest(name):
                for written in WRITTEN.values():
                    for text in filter(None, written):
                        self.assertNotIn(text.splitlines()[0], run.stdout + run.stderr, run.describe())
                for text in FIXTURE_OUTPUT:  # (printed through the runner, or written straight: they may meet)
                    self.assertIn(text, run.stdout, run.describe())

    def test_progress_lines_stay_whole_on_the_terminal(self):
        for name, run in self.runs.items():
            with self.subTest(name):
                progress = [line for line in run.lines() if re.match(r"test_fd_\w+\.\w+\.\w+ \.\.\. ", line)]
                self.assertEqual(len(progress), len(WRITTEN), run.describe())
                for line in progress:
                    self.assertRegex(line, r" \.\.\. ok \(\d+\.\d{3} s\)( \[[^]]*\])?$")

    def test_junit_system_out_holds_a_child_process_output(self):
        junit = self.runs["workers"].junit
        (case,) = [c for c in junit.iter("testcase") if c.get("name") == "test_child_writes_stdout"]
        self.assertEqual(case.findtext("system-out"), "child stdout of test_child_writes_stdout\n")


class NoCaptureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_s = start("fd_capture", "--seed", "1", "-v", "-s").result()

    def test_under_s_child_processes_and_descriptor_writes_go_to_the_terminal(self):
        run = self.run_s
        self.assertEqual(run.code, 0, run.describe())
        # (what the tests print reaches the terminal through the runner, what they write to the descriptors
        # straight: the two may meet in the middle of a line)
        for text in ("child stdout of test_child_writes_stdout", "fd 1 of test_os_write",
                     "os.write 2 of test_interleaved", "asyncio child of test_asyncio_child"):
            self.assertIn(text, run.stdout, run.describe())
        for text in ("child stderr of test_child_writes_stderr", "fd 2 of test_os_write"):
            self.assertIn(text, run.stderr, run.describe())
        self.assertEqual({(entry["stdout"], entry["stderr"]) for entry in run.tests.values()}, {("", "")})


class CrashTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.crashed = start("fd_crash", "--seed", "1", "-v").result()

    def test_a_killed_test_keeps_what_it_wrote_to_the_descriptors_and_its_child_wrote(self):
        longrepr = self.crashed.test("test_writes_then_is_killed")["longrepr"]
        self.assertTrue(longrepr.endswith(
            "--- last stdout output ---\nprint before the kill\nfd 1 before the kill\n"
            "--- last stderr output ---\nchild stderr before the kill"), self.crashed.describe())
        exited = self.crashed.test("test_writes_then_exits")["longrepr"]
        self.assertTrue(exited.endswith("--- last stderr output ---\nfd 2 before os._exit"), self.crashed.describe())

    def test_the_test_after_a_crash_has_only_its_own_output(self):
        after = self.crashed.test("test_zpasses")
        self.assertEqual((after["outcome"], after["stdout"], after["stderr"]),
                         ("passed", "print of test_zpasses\n", ""))


# Suspending the capture, as a debugger at a failure needs (the hook `Result.capture_suspended` uses).
_SUSPEND = r"""
import os, sys, tempfile
from harness.run import capture

with tempfile.TemporaryDirectory() as folder:
    streams = capture.Capture(folder)
    out, err = streams.begin()
    out.write("captured before\n")
    os.write(2, b"captured stderr\n")
    streams.suspend()
    os.write(1, b"on the terminal while suspended\n")
    streams.resume()
    os.write(1, b"captured after\n")
    got = streams.end()
    os.write(1, b"on the terminal after the test\n")
    streams.close()
    print(repr((got.stdout, got.stderr)))
"""


class SuspendTests(unittest.TestCase):
    def test_suspend_gives_the_terminal_back_until_resume(self):
        done = subprocess.run([sys.executable, "-c", _SUSPEND], cwd=tempfile.gettempdir(), env=environment(),
                              capture_output=True, text=True, timeout=TIMEOUT, check=True)
        self.assertEqual(done.stdout.splitlines(), [
            "on the terminal while suspended", "on the terminal after the test",
            repr(("captured before\ncaptured after\n", "captured stderr\n")),
        ])
        self.assertEqual(done.stderr, "")


class InProcessCtrlCTests(unittest.TestCase):
    """The runner running the tests itself: its Ctrl-C message, written while a test's output is captured, still
    reaches the terminal."""

    def test_the_stopping_message_reaches_the_terminal_not_the_test_report(self):
        with tempfile.TemporaryDirectory(prefix="harness-capture-") as folder:
            marker, release = os.path.join(folder, "started"), os.path.join(folder, "release")
            json_path = os.path.join(folder, "report.json")
            env = environment(IN_PROCESS | {"HARNESS_SAMPLE_MARKER": marker, "HARNESS_SAMPLE_RELEASE": release})
            process = subprocess.Popen(
                [sys.executable, "-m", "harness", "--seed", "1", "--json", json_path, SLOW],
                cwd=os.path.join(SAMPLES, "interrupt"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, start_new_session=True,
            )
            try:
                deadline = time.monotonic() + TIMEOUT
                while not os.path.exists(marker) and time.monotonic() < deadline and process.poll() is None:
                    time.sleep(0.01)
                process.send_signal(signal.SIGINT)
                time.sleep(0.3)  # the handler runs while the test still sleeps
                with open(release, "w"):
                    pass
                stdout, stderr = process.communicate(timeout=TIMEOUT)
            finally:
                process.kill()
            with open(json_path, encoding="utf-8") as file:
                (entry,) = json.load(file)["tests"]
        self.assertEqual(process.returncode, 2, stdout + stderr)
        self.assertEqual(stderr.count(STOPPING), 1, stderr)
        self.assertNotIn(STOPPING, entry["stderr"])
