"""harness's base classes under `python -m unittest` and pytest: per-test loops and enforced teardown still hold."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import unittest

from tests.support import SAMPLES, TIMEOUT, environment

UNHANDLED = {  # the tests of the unhandled sample that must fail: each left an error the loop only logged
    "AsyncioUnhandledTests.test_task_exception_never_retrieved",
    "AsyncioUnhandledTests.test_exception_in_loop_callback",
    "AsyncioUnhandledTests.test_coroutine_never_awaited", "TrioUnhandledTests.test_coroutine_never_awaited",
    "SyncUnhandledTests.test_coroutine_never_awaited",
}
CLEAN = {"AsyncioUnhandledTests.test_clean", "TrioUnhandledTests.test_clean", "SyncUnhandledTests.test_clean"}


def _run(sample: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=os.path.join(SAMPLES, sample), env=environment(),
                          capture_output=True, text=True, timeout=TIMEOUT)


class UnittestTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.unhandled = _run("unhandled", "-m", "unittest", "-v")
        cls.fanout = _run("backends", "-m", "unittest", "-v", "test_fanout")
        cls.leaky = _run("leaky_task", "-m", "unittest", "-v", "test_service_harness")

    def _verdicts(self, done: subprocess.CompletedProcess[str]) -> dict[str, str]:
        found = re.findall(r"^test_\w+ \(\w+\.(\w+\.test_\w+)\)(?: \[(\w+)\])? \.\.\. (\w+)", done.stderr, re.M)
        return {name + (f"[{backend}]" if backend else ""): verdict for name, backend, verdict in found}

    def test_errors_the_loop_only_logged_fail_their_test(self):
        verdicts = self._verdicts(self.unhandled)
        self.assertEqual(verdicts, {**{name: "ERROR" for name in UNHANDLED}, **{name: "ok" for name in CLEAN}},
                         self.unhandled.stderr)
        self.assertIn("FAILED (errors=5)", self.unhandled.stderr)

    def test_a_class_with_backends_runs_every_test_on_each(self):
        verdicts = self._verdicts(self.fanout)
        self.assertEqual(verdicts, {f"FanOutTests.{name}[{backend}]": "ok"
                                    for name in ("test_runs_on_its_backend", "test_has_a_task_group")
                                    for backend in ("asyncio", "trio")}, self.fanout.stderr)
        self.assertEqual(self.fanout.returncode, 0)

    def test_leftover_tasks_are_cancelled_and_the_loops_closed_quietly(self):
        self.assertEqual(self.leaky.returncode, 0, self.leaky.stderr)
        self.assertNotIn("Task was destroyed but it is pending", self.leaky.stderr)
        self.assertNotIn("Exception ignored", self.leaky.stderr)


@unittest.skipUnless(importlib.util.find_spec("pytest"), "pytest is not installed (it is not a dependency of harness)")
class PytestTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.unhandled = _run("unhandled", "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-q")

    def test_errors_the_loop_only_logged_fail_their_test(self):
        found = dict((name.replace("::", "."), verdict) for verdict, name in
                     re.findall(r"^(PASSED|FAILED) test_unhandled\.py::(\w+::\w+)", self.unhandled.stdout, re.M))
        self.assertEqual(found, {**{name: "FAILED" for name in UNHANDLED}, **{name: "PASSED" for name in CLEAN}},
                         self.unhandled.stdout)
        self.assertIn("coroutine 'never' was never awaited", self.unhandled.stdout)
