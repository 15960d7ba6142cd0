"""The order of a test's hooks, compared whole, on every backend: in process, and through the runner."""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib.util
import json
import unittest

import trio

import harness
from tests.support import start

phase = contextvars.ContextVar("phase", default="unset")

def current_loop() -> object:
    """The running event loop (asyncio, uvloop) or trio run, as an object that lives as long as the run."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return trio.lowlevel.current_trio_token()


class Recorder(harness.AsyncTestCase):
    """Records every hook into `self.events`. Its scenarios are not named test_*, so discovery leaves them alone."""

    events: list[str]
    loops: list[object]
    fail_in = ""

    def fail_if_asked(self, hook: str) -> None:
        if hook == self.fail_in:
            raise RuntimeError(f"{hook} failed on purpose")

    def setUp(self):
        self.events.append("setUp")
        self.addCleanup(self.events.append, "cleanup registered in setUp")

    async def asyncSetUp(self):
        self.loops.append(current_loop())
        self.events.append("asyncSetUp")
        phase.set("from asyncSetUp")
        self.addAsyncCleanup(self.async_cleanup, "first")
        self.addCleanup(self.sync_cleanup, "second")
        await self.enterAsyncContext(self.context())
        self.fail_if_asked("asyncSetUp")

    @contextlib.asynccontextmanager
    async def context(self):
        self.events.append("enter async context")
        yield
        self.events.append(f"exit async context, phase={phase.get()}")

    async def async_cleanup(self, label):
        self.loops.append(current_loop())
        self.events.append(f"async cleanup ({label}), phase={phase.get()}")

    def sync_cleanup(self, label):
        self.events.append(f"sync cleanup ({label}), phase={phase.get()}")

    async def scenario_async(self):
        self.loops.append(current_loop())
        self.events.append(f"test, phase={phase.get()}")
        self.fail_if_asked("test")

    def scenario_sync(self):
        self.events.append(f"test, phase={phase.get()}")

    async def asyncTearDown(self):
        self.loops.append(current_loop())
        self.events.append(f"asyncTearDown, phase={phase.get()}")

    def tearDown(self):
        self.events.append(f"tearDown, phase={phase.get()}")


AFTER_THE_TEST = [
    "asyncTearDown, phase=from asyncSetUp",
    "tearDown, phase=from asyncSetUp",
    "exit async context, phase=from asyncSetUp",
    "sync cleanup (second), phase=from asyncSetUp",
    "async cleanup (first), phase=from asyncSetUp",
    "cleanup registered in setUp",
]
WHOLE = ["setUp", "asyncSetUp", "enter async context", "test, phase=from asyncSetUp", *AFTER_THE_TEST]


def run_scenario(method: str, backend: str, fail_in: str = "") -> tuple[Recorder, unittest.TestResult]:
    case = Recorder(method, backend=backend)
    case.events, case.loops, case.fail_in = [], [], fail_in
    result = unittest.TestResult()
    unittest.TestSuite([case]).run(result)
    return case, result


class Lifecycle:
    """The lifecycle tests, once per backend (the concrete classes below say which)."""

    backend: str

    def assert_clean(self, result: unittest.TestResult) -> None:
        problems = result.errors + result.failures + result.skipped
        self.assertEqual(problems, [], "\n".join(str(p) for p in problems))

    def test_hooks_run_in_order_and_share_the_tests_context(self):
        case, result = run_scenario("scenario_async", self.backend)
        self.assert_clean(result)
        self.assertEqual(case.events, WHOLE)

    def test_sync_test_method_runs_between_the_same_hooks(self):
        case, result = run_scenario("scenario_sync", self.backend)
        self.assert_clean(result)
        self.assertEqual(case.events, WHOLE)

    def test_failing_test_still_runs_teardown_and_cleanups(self):
        case, result = run_scenario("scenario_async", self.backend, fail_in="test")
        self.assertEqual(case.events, WHOLE)
        self.assertEqual(len(result.errors), 1)
        self.assertIn("RuntimeError: test failed on purpose", result.errors[0][1])

    def test_failing_async_set_up_skips_the_test_and_teardown_but_runs_cleanups(self):
        case, result = run_scenario("scenario_async", self.backend, fail_in="asyncSetUp")
        self.assertEqual(case.events, ["setUp", "asyncSetUp", "enter async context", *AFTER_THE_TEST[2:]])
        self.assertEqual(len(result.errors), 1)
        self.assertIn("RuntimeError: asyncSetUp failed on purpose", result.errors[0][1])

    def test_every_part_of_a_test_runs_on_one_loop_and_the_next_test_gets_a_fresh_one(self):
        first, _ = run_scenario("scenario_async", self.backend)
        second, _ = run_scenario("scenario_async", self.backend)
        self.assertEqual(len(first.loops), 4)  # asyncSetUp, the test, asyncTearDown, the async cleanup
        self.assertTrue(all(loop is first.loops[0] for loop in first.loops), first.loops)
        self.assertIsNot(second.loops[0], first.loops[0])


class AsyncioLifecycleTests(Lifecycle, unittest.TestCase):
    backend = "asyncio"

    def test_the_loop_is_closed_and_no_longer_current_after_the_test(self):
        case, _ = run_scenario("scenario_async", self.backend)
        self.assertTrue(case.loops[0].is_closed())
        # the current loop is what it was before the test: none (asking get_event_loop() would make one)
        self.assertIsNone(asyncio.get_event_loop_policy()._local._loop)


class TrioLifecycleTests(Lifecycle, unittest.TestCase):
    backend = "trio"


@unittest.skipUnless(importlib.util.find_spec("uvloop"), "uvloop is not installed: pip install 'harness[uvloop]'")
class UvloopLifecycleTests(Lifecycle, unittest.TestCase):
    backend = "asyncio+uvloop"


class RunnerLifecycleTests(unittest.TestCase):
    """The same order through the runner: each test of tests/samples/lifecycle prints its events as JSON."""

    def test_hooks_run_in_order_on_every_backend_under_the_runner(self):
        run = start("lifecycle", "--seed", "1").result()
        self.assertEqual(run.code, 0, run.describe())
        expected_after = [
            "asyncTearDown, phase=set in asyncSetUp", "tearDown, phase=set in asyncSetUp", "exit async context",
            "sync cleanup (second registered)", "async cleanup (first registered), phase=set in asyncSetUp",
        ]
        self.assertEqual(len(run.tests), 4)
        for test_id, entry in run.tests.items():
            with self.subTest(test_id):
                kind = "async" if "test_async" in test_id else "sync"
                self.assertEqual(json.loads(entry["stdout"]), [
                    "setUp", "asyncSetUp", "enterAsyncContext", f"test_{kind}, phase=set in asyncSetUp",
                    *expected_after,
                ])
