"""The public API is pinned, and the private names of the stdlib and trio that harness relies on still exist."""
from __future__ import annotations

import asyncio
import inspect
import unittest
import unittest.loader

import harness


class PublicApiTests(unittest.TestCase):
    def test_all_is_pinned(self):
        self.assertEqual(sorted(harness.__all__), sorted([
            "BACKENDS", "AsyncTestCase", "Findings", "PendingCallback", "Probe", "ResidualTask", "StateChange",
            "Summary", "TestCase", "TestReport", "UnhandledError", "UnhandledErrors", "__version__", "timeout",
            "virtual_clock",
        ]))

    def test_every_public_name_exists(self):
        for name in harness.__all__:
            self.assertTrue(hasattr(harness, name), name)

    def test_a_pending_callback_is_a_frozen_record_that_describes_itself(self):
        callback = harness.PendingCallback("refresh", "tests/test_x.py:12 in test_y", 3600.0)
        self.assertEqual(callback.describe(),
                         "callback refresh (scheduled at tests/test_x.py:12 in test_y, due in 3600 s): cancelled")
        self.assertEqual(harness.PendingCallback("poll", "<unknown>").describe(),
                         "callback poll (scheduled at <unknown>, not yet run): cancelled")
        with self.assertRaises(AttributeError):
            callback.callback = "other"  # type: ignore[misc]

    def test_backends_are_pinned(self):
        self.assertEqual(harness.BACKENDS, ("asyncio", "trio", "asyncio+uvloop"))


class PrivateNameCanaryTests(unittest.TestCase):
    """If one of these fails, a Python or trio release renamed a private name that harness uses: adapt harness."""

    def test_unittest_test_case_hooks_exist(self):
        for name in ("_callSetUp", "_callTestMethod", "_callTearDown", "_callCleanup"):
            self.assertTrue(callable(getattr(unittest.TestCase, name, None)), f"unittest.TestCase.{name}")

    def test_isolated_asyncio_test_case_hooks_exist(self):
        for name in ("_callSetUp", "_setupAsyncioRunner", "_tearDownAsyncioRunner", "_callAsync", "_callMaybeAsync"):
            self.assertTrue(callable(getattr(unittest.IsolatedAsyncioTestCase, name, None)),
                            f"unittest.IsolatedAsyncioTestCase.{name}")

    def test_isolated_asyncio_test_case_keeps_its_runner_in_asyncio_runner(self):
        case = unittest.IsolatedAsyncioTestCase()
        case._setupAsyncioRunner()
        try:
            self.assertIsInstance(case._asyncioRunner, asyncio.Runner)
            self.assertIsInstance(case._asyncioRunner.get_loop(), asyncio.AbstractEventLoop)
        finally:
            case._tearDownAsyncioRunner()
            asyncio.set_event_loop(None)

    def test_current_frames_exists(self):
        # a timeout report lists the stacks of the other threads with it (harness/timeouts.py)
        import sys
        import threading

        self.assertIn(threading.get_ident(), sys._current_frames())

    def test_loader_failed_test_exists(self):
        self.assertTrue(issubclass(unittest.loader._FailedTest, unittest.TestCase))

    def test_loader_makes_a_skipped_test_for_a_module(self):
        # the loader turns a module that raises SkipTest at import into unittest's own stand-in, as discovery does
        suite = unittest.loader._make_skipped_test("mod", unittest.SkipTest("why"), unittest.TestSuite)
        (test,) = list(suite)
        self.assertEqual((type(test).__name__, type(test).__module__), ("ModuleSkipped", "unittest.loader"))
        result = unittest.TestResult()
        suite.run(result)
        self.assertEqual(result.skipped, [(test, "why")])

    def test_result_exc_info_to_string_exists(self):
        result = unittest.TestResult()
        try:
            raise ValueError("canary")
        except ValueError as exc:
            text = result._exc_info_to_string((ValueError, exc, exc.__traceback__), self)
        self.assertIn("ValueError: canary", text)

    def test_result_traceback_cleaning_hooks_exist(self):
        # result.Result calls the first two (--locals, --tb) and replaces the third, which unittest calls from
        # the first for a failure's traceback
        for name in ("_clean_tracebacks", "_is_relevant_tb_level", "_remove_unittest_tb_frames"):
            self.assertTrue(callable(getattr(unittest.TestResult, name, None)), name)

    def test_event_loop_attributes_for_the_fast_teardown_path_exist(self):
        # harness reads them with a fallback (the slow path), so losing them costs speed, not correctness
        loop = asyncio.new_event_loop()
        try:
            self.assertTrue(hasattr(loop, "_asyncgens"))
            self.assertTrue(hasattr(loop, "_default_executor"))
        finally:
            loop.close()

    def test_trio_global_run_context_exists(self):
        import trio._core._run

        self.assertTrue(hasattr(trio._core._run, "GLOBAL_RUN_CONTEXT"))
        self.assertIsInstance(vars(trio._core._run.GLOBAL_RUN_CONTEXT), dict)  # harness clears it

    def test_event_loop_marks_its_executor_shut_down(self):
        # harness's bounded executor shutdown sets it, as loop.shutdown_default_executor() does
        loop = asyncio.new_event_loop()
        try:
            self.assertIs(loop._executor_shutdown_called, False)
        finally:
            loop.close()

    def test_anyio_task_handle_keeps_the_coroutine_it_wraps(self):
        # findings.sites names an unstarted task-group task by the coroutine in TaskHandle._coro, not by the wrapper
        from anyio._core import _tasks

        handle_class = _tasks.TaskHandle
        self.assertIn("_coro", handle_class.__slots__)
        self.assertTrue(inspect.iscoroutinefunction(handle_class._run_coro))

    def test_a_subtest_knows_its_test_case(self):
        # the runner counts a skipped subTest as part of its test through `subtest.test_case`
        skipped = []

        class Probe(unittest.TestCase):
            def test_it(self):
                with self.subTest(i=1):
                    self.skipTest("seen")

        class Recording(unittest.TestResult):
            def addSkip(self, test, reason):  # noqa: N802
                skipped.append(getattr(test, "test_case", None))

        probe = Probe("test_it")
        probe.run(Recording())
        self.assertEqual(skipped, [probe])

    def test_state_probes_private_names_exist(self):
        import _signal
        import os
        import signal
        import warnings
        from unittest import mock

        self.assertIsInstance(os.environ._data, dict)  # EnvironProbe copies it
        self.assertEqual(os.environ.decodekey(os.environ.encodekey("A")), "A")
        self.assertIsInstance(mock._patch._active_patches, list)  # MockProbe
        self.assertTrue(hasattr(asyncio.events, "_event_loop_policy"))  # AsyncioProbe, without creating one
        self.assertTrue(callable(warnings._filters_mutated))  # WarningsProbe.restore
        self.assertEqual(_signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGINT))

    def test_default_event_loop_policy_keeps_its_loop_in_local(self):
        policy = asyncio.DefaultEventLoopPolicy()
        self.assertTrue(hasattr(policy._local, "_loop"))  # AsyncioProbe reads the current loop there
        # and whether set_event_loop was ever called, which AsyncioProbe.restore puts back as it was
        self.assertIs(policy._local._set_called, False)
        policy.set_event_loop(None)
        self.assertIs(policy._local._set_called, True)

    def test_executor_workers_run_the_function_the_threads_probe_knows(self):
        from concurrent.futures import ThreadPoolExecutor, thread

        with ThreadPoolExecutor() as executor:
            executor.submit(int).result()
            [worker] = executor._threads
            self.assertIs(worker._target, thread._worker)  # ThreadsProbe: a shut-down executor's threads
            self.assertIs(worker._args[0](), executor)
