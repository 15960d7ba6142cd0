"""Per-test time limits, end to end: a hanging async test is cancelled and reported, and the run goes on."""
from __future__ import annotations

import math
import re
import unittest

import harness
from harness.run import config
from harness.testcase import timeouts
from tests.support import line_of, run_harness, start

HANGS = "test_hangs."
TIMED_OUT = (
    r"^timed out after {seconds} s in {part} \(limit from {source}\) and was cancelled: "
    r"make it finish sooner, or raise the limit$"
)


class HangingTestsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_ = start("timeouts", "--seed", "1").result()

    def entry(self, suffix):
        return self.run_.test(suffix)

    def test_hanging_tests_are_errors_that_say_they_timed_out(self):
        expected = {
            "AsyncioHangs.test_awaits_forever": ("0.5", "AsyncioHangs.test_awaits_forever",
                                                 "the class's timeout attribute"),
            "TrioHangs.test_sleeps_in_trio": ("0.4", "TrioHangs.test_sleeps_in_trio", "the class's timeout attribute"),
            "UvloopHangs.test_sleeps_on_uvloop": ("0.3", "UvloopHangs.test_sleeps_on_uvloop",
                                                  "the class's timeout attribute"),
            "AsyncioHangs.test_method_limit_beats_the_class_one": (
                "0.3", "AsyncioHangs.test_method_limit_beats_the_class_one", "@harness.timeout on the method"),
        }
        for suffix, (seconds, part, source) in expected.items():
            with self.subTest(suffix):
                entry = self.entry(suffix)
                self.assertEqual(entry["outcome"], "error", self.run_.describe())
                self.assertRegex(entry["message"], TIMED_OUT.format(
                    seconds=re.escape(seconds), part=re.escape(part), source=re.escape(source)))
                self.assertIn("harness.testcase.timeouts.TimeLimitExceeded: timed out after", entry["longrepr"])

    def test_the_run_goes_on_and_tests_in_time_pass(self):
        for suffix in ("AsyncioHangs.test_finishes_in_time", "ZRunGoesOn.test_passes[asyncio]",
                       "ZRunGoesOn.test_passes[trio]", "ZRunGoesOn.test_sync_passes[trio]"):
            with self.subTest(suffix):
                self.assertEqual(self.entry(suffix)["outcome"], "passed")
        self.assertEqual(self.run_.code, 1)
        self.assertEqual(self.run_.lines()[-1], "5 passed, 6 failed, 0 skipped", self.run_.describe())

    def test_the_run_takes_the_limits_not_the_sleeps(self):
        # the hanging tests sleep 30 s each; their limits and teardown bounds add up to about 3 s
        self.assertLess(self.run_.report["duration"], 8.0, self.run_.describe())
        self.assertLess(self.entry("AsyncioHangs.test_method_limit_beats_the_class_one")["duration"], 0.5 + 0.4)

    def test_asyncio_await_chain_names_each_task_its_function_and_line(self):
        longrepr = self.entry("AsyncioHangs.test_awaits_forever")["longrepr"]
        test_line = line_of("timeouts", "test_hangs.py", "# the asyncio test waits")
        waiter_line = line_of("timeouts", "test_hangs.py", "# the forgotten task waits")
        created = line_of("timeouts", "test_hangs.py", "create_task(wait_forever(event)")
        self.assertRegex(longrepr, (
            r"(?m)^  task '[^']+', the test's own \(its async parts run here\):\n"
            rf"    test_hangs\.py:{test_line} in test_awaits_forever: await event\.wait\(\)  # the asyncio test waits\n"
            r"    asyncio/locks\.py:\d+ in wait: await fut$"
        ))
        self.assertRegex(longrepr, (
            rf"(?m)^  task 'forgotten-waiter' running wait_forever\(\) \(created at test_hangs\.py:{created} in "
            rf"test_awaits_forever\):\n    test_hangs\.py:{waiter_line} in wait_forever: "
            r"await event\.wait\(\)  # the forgotten task waits$"
        ))

    def test_trio_await_chain_walks_the_task_tree(self):
        longrepr = self.entry("TrioHangs.test_sleeps_in_trio")["longrepr"]
        main_line = line_of("timeouts", "test_hangs.py", "# the trio test waits")
        sleeper_line = line_of("timeouts", "test_hangs.py", "# the trio sleeper waits")
        self.assertRegex(longrepr, (
            r"(?m)^  task '[^']+', the test's own \(its async parts run here\):\n"
            rf"    test_hangs\.py:{main_line} in test_sleeps_in_trio: await anyio\.sleep\(30\)  # the trio test waits$"
        ))
        self.assertRegex(longrepr, (
            r"(?m)^  task 'test_hangs\.TrioHangs\.sleeper' running TrioHangs\.sleeper\(\) \(started at "
            r"test_hangs\.py:\d+ in test_sleeps_in_trio\):\n(    .*\n)*?"
            rf"    test_hangs\.py:{sleeper_line} in sleeper: await anyio\.sleep\(30\)  # the trio sleeper waits$"
        ))
        self.assertNotIn("TrioToken", longrepr)  # trio's own system tasks are left out

    def test_other_threads_stacks_are_shown(self):
        longrepr = self.entry("AsyncioHangs.test_awaits_forever")["longrepr"]
        helper_line = line_of("timeouts", "test_hangs.py", "STOP_THREAD.wait(30)")
        self.assertRegex(longrepr, (
            r"(?m)^what the other threads were running \(innermost call last\)[^\n]*:\n"
            r"  thread 'blocked-helper':\n(    .*\n)*?"
            rf"    test_hangs\.py:{helper_line} in blocked_helper: STOP_THREAD\.wait\(30\)$"
        ))
        self.assertRegex(self.entry("UvloopHangs.test_sleeps_on_uvloop")["longrepr"], r"(?m)^other threads: none")

    def test_teardown_that_hangs_after_the_timeout_is_bounded(self):
        entry = self.entry("TeardownHangs.test_sleeps_past_the_limit")
        self.assertRegex(entry["message"], r"^timed out after 0\.3 s in TeardownHangs\.test_sleeps_past_the_limit ")
        self.assertIn(
            "harness.testcase.timeouts.TimeLimitExceeded: TeardownHangs.asyncTearDown did not finish within "
            "0.2 s after the "
            "test timed out (the teardown_timeout bound); it was cancelled", entry["longrepr"],
        )
        self.assertLess(entry["duration"], 0.3 + 0.2 + 0.4)

    def test_a_part_that_ignores_cancellation_is_abandoned_and_later_parts_are_not_run(self):
        entry = self.entry("StubbornHangs.test_ignores_cancellation")
        self.assertRegex(entry["message"], r"^timed out after 0\.3 s in StubbornHangs\.test_ignores_cancellation ")
        self.assertIn("StubbornHangs.test_ignores_cancellation did not stop within 0.2 s of being cancelled and was "
                      "abandoned; the test's later async parts were not run", entry["longrepr"])
        self.assertIn("RuntimeError: StubbornHangs.asyncTearDown was not run: the test's task is still stuck in "
                      "StubbornHangs.test_ignores_cancellation", entry["longrepr"])
        self.assertLess(entry["duration"], 0.3 + 3 * 0.2 + 0.4)

    def test_text_output_shows_the_timeout_under_failures(self):
        self.assertRegex(self.run_.stdout, (
            r"(?m)^harness\.testcase\.timeouts\.TimeLimitExceeded: timed out after 0\.5 s in "
            r"AsyncioHangs\.test_awaits_forever "
        ))


class PrecedenceTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "file": start("timeouts_config", "--seed", "1"),
            "command_line": start("timeouts_config", "--seed", "1", "--timeout", "0.3"),
            "off": start("timeouts_config", "--seed", "1", "--timeout", "0"),
        }
        cls.runs = {name: started.result() for name, started in runs.items()}

    def message(self, run, suffix):
        return self.runs[run].test(suffix)["message"]

    def test_setup_cfg_sets_the_limit_of_tests_without_their_own(self):
        self.assertRegex(self.message("file", "RunLimit.test_sleeps"),
                         r"^timed out after 0\.2 s in RunLimit\.test_sleeps "
                         r"\(limit from --timeout or the timeout setting\)")

    def test_command_line_beats_setup_cfg(self):
        self.assertRegex(self.message("command_line", "RunLimit.test_sleeps"), r"^timed out after 0\.3 s ")

    def test_class_beats_command_line_and_setup_cfg(self):
        for run in ("file", "command_line"):
            self.assertRegex(self.message(run, "ClassLimit.test_sleeps"), r"^timed out after 0\.4 s ")

    def test_method_beats_class(self):
        self.assertRegex(self.message("file", "ClassLimit.test_method_limit"), r"^timed out after 0\.25 s ")

    def test_zero_means_no_limit(self):
        self.assertEqual(self.runs["file"].test("ClassLimit.test_no_limit")["outcome"], "passed")
        self.assertEqual(self.runs["off"].test("RunLimit.test_sleeps")["outcome"], "passed")
        self.assertEqual(self.runs["off"].test("ClassLimit.test_sleeps")["outcome"], "error")


class UsageErrorTests(unittest.TestCase):
    def test_bad_timeouts_are_one_line_usage_errors(self):
        expected = {
            "-1": "'-1' must be a finite number of seconds from 0 up (0: no limit)",
            "abc": "'abc' is not a number of seconds; use for example 60, or 0 for no limit",
            "nan": "'nan' must be a finite number of seconds from 0 up (0: no limit)",
            "inf": "'inf' must be a finite number of seconds from 0 up (0: no limit)",
        }
        for value, message in expected.items():
            with self.subTest(value):
                run = run_harness("timeouts_config", "--timeout", value, json_report=False)
                self.assertEqual(run.code, 4, run.describe())
                self.assertEqual(run.stderr, f"harness: error: argument --timeout: {message}\n")

    def test_bad_setting_names_the_file(self):
        with self.assertRaisesRegex(config.UsageError, r"^bad value for 'timeout' in setup\.cfg \[harness\]: '-2' "):
            config.apply(config.Config(), {"timeout": "-2"}, "setup.cfg [harness]")

    def test_setting_parses_zero_and_positive_numbers(self):
        self.assertEqual(config.apply(config.Config(), {"timeout": "0"}, "x").timeout, 0.0)
        self.assertEqual(config.apply(config.Config(), {"timeout": 2.5}, "x").timeout, 2.5)
        self.assertEqual(config.Config().timeout, timeouts.DEFAULT_TIMEOUT)
        self.assertEqual(timeouts.DEFAULT_TIMEOUT, 300.0)


class DecoratorTests(unittest.TestCase):
    def test_bad_arguments_raise_with_the_fix(self):
        with self.assertRaisesRegex(TypeError, r"must be a number of seconds, not '5'"):
            harness.timeout("5")
        with self.assertRaisesRegex(ValueError, r"from 0 up, not -1"):
            harness.timeout(-1)
        with self.assertRaisesRegex(ValueError, r"not nan"):
            harness.timeout(math.nan)
        with self.assertRaisesRegex(TypeError, r"^use @harness\.timeout\(SECONDS\)"):
            harness.timeout(lambda: None)  # type: ignore[arg-type]
        with self.assertRaisesRegex(TypeError, r"set `timeout = 3` in its body"):
            harness.timeout(3)(type("Suite", (), {}))

    def test_a_bad_class_attribute_fails_when_the_class_is_made(self):
        with self.assertRaisesRegex(TypeError, r"^Slow\.timeout must be a number of seconds, not '10'"):
            type("Slow", (harness.AsyncTestCase,), {"timeout": "10"})


class ResolveTests(unittest.TestCase):
    """`timeouts.resolve` is what worker processes call for any test, sync ones included."""

    def test_precedence_on_plain_unittest_classes(self):
        class Plain(unittest.TestCase):
            timeout = 7

            def test_class(self):
                pass

            @harness.timeout(2)
            def test_method(self):
                pass

            @harness.timeout(0)
            def test_off(self):
                pass

        class Bare(unittest.IsolatedAsyncioTestCase):
            async def test_run(self):
                pass

        self.assertEqual(timeouts.resolve(Plain("test_class"), 30.0), 7.0)
        self.assertEqual(timeouts.resolve(Plain("test_method"), 30.0), 2.0)
        self.assertIsNone(timeouts.resolve(Plain("test_off"), 30.0))
        self.assertEqual(timeouts.resolve(Bare("test_run"), 30.0), 30.0)
        self.assertIsNone(timeouts.resolve(Bare("test_run"), 0.0))

    def test_a_class_attribute_that_is_not_seconds_is_not_a_limit(self):
        class Network(unittest.TestCase):
            timeout = "slow"  # the test's own setting, not harness's

            def test_x(self):
                pass

        self.assertEqual(timeouts.resolve(Network("test_x"), 30.0), 30.0)

    def test_harness_classes_without_a_limit_use_the_configured_one(self):
        class Quick(harness.AsyncTestCase):
            async def test_x(self):
                pass

        self.assertEqual(timeouts.resolve(Quick("test_x", backend="trio"), 12.0), 12.0)


class StdlibTimeoutTests(unittest.TestCase):
    """unittest.IsolatedAsyncioTestCase: the part still running at the limit is cancelled on the test's loop."""

    @classmethod
    def setUpClass(cls):
        cls.run_ = start("timeouts_stdlib", "--seed", "1", "--bucket", "none").result()

    def test_the_test_errors_in_time_and_the_next_one_runs_after_its_teardown(self):
        self.assertEqual(self.run_.code, 1, self.run_.describe())
        self.assertEqual(self.run_.outcomes, {
            "test_stdlib_hangs.AStdlibHangs.test_awaits_forever": "error",
            "test_stdlib_hangs.BStdlibAfter.test_runs_after_and_saw_the_teardown": "passed",
        })
        entry = self.run_.test("test_awaits_forever")
        self.assertEqual(entry["message"], "timed out after 0.5 s in AStdlibHangs.test_awaits_forever (limit from the "
                                           "class's timeout attribute) and was cancelled: make it finish sooner, or "
                                           "raise the limit")
        self.assertLess(entry["duration"], 3)

    def test_the_report_shows_where_every_task_of_the_loop_waited(self):
        longrepr = self.run_.test("test_awaits_forever")["longrepr"]
        line = line_of("timeouts_stdlib", "test_stdlib_hangs.py", "# the stdlib test waits")
        self.assertIn(f"test_stdlib_hangs.py:{line} in test_awaits_forever", longrepr)
        forgotten = line_of("timeouts_stdlib", "test_stdlib_hangs.py", "# the forgotten task waits")
        self.assertIn(f"test_stdlib_hangs.py:{forgotten} in forgotten", longrepr)
