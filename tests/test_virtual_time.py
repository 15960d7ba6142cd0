"""The virtual clock, end to end: idle time jumps to the next timer, and the time limit still counts wall time."""
from __future__ import annotations

import re
import unittest

import harness
from harness.testcase import clocks
from tests.support import line_of, run_harness, start

TIMED_OUT = (
    r"^timed out after 0\.5 s in {part} \(limit from the class's timeout attribute\) and was cancelled: "
    r"make it finish sooner, or raise the limit$"
)
VIRTUAL_TESTS = (
    "test_jumps.AsyncioVirtual.test_hour_long_sleeps_return_at_once",
    "test_jumps.AsyncioVirtual.test_background_loop_runs_three_times",
    "test_jumps.AsyncioVirtual.test_timers_keep_their_order",
    "test_jumps.AsyncioVirtual.test_asyncio_timeout_and_wait_for_fire_in_virtual_time",
    "test_jumps.AsyncioVirtual.test_anyio_fail_after_and_move_on_after_fire_in_virtual_time",
    "test_jumps.AsyncioVirtual.test_advance_moves_time_by_hand",
    "test_trio.TrioVirtual.test_hour_long_sleeps_return_at_once",
    "test_trio.TrioVirtual.test_background_loop_runs_three_times",
    "test_trio.TrioVirtual.test_anyio_fail_after_and_move_on_after_fire_in_virtual_time",
    "test_trio.TrioVirtual.test_advance_moves_time_by_hand",
    "test_trio.EveryBackend.test_a_day_of_sleeps[asyncio]",
    "test_trio.EveryBackend.test_a_day_of_sleeps[trio]",
    "test_clock_choice.RealClock.test_one_method_on_the_virtual_clock",
    "test_clock_choice.TrioRealClock.test_one_method_on_the_virtual_clock",
    "test_wall_limit.AsyncioWallLimit.test_a_million_seconds_fit_in_half_a_second",
    "test_wall_limit.TrioWallLimit.test_a_million_seconds_fit_in_half_a_second",
)


class VirtualTimeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_ = start("virtual_time", "--seed", "1", "-v").result()

    def test_the_run_reports_each_outcome(self):
        self.assertEqual(self.run_.code, 1, self.run_.describe())
        self.assertEqual(self.run_.lines()[-1], "19 passed, 4 failed, 1 skipped", self.run_.describe())

    def test_hours_of_virtual_sleep_pass_in_well_under_a_second_of_wall_time(self):
        for test_id in VIRTUAL_TESTS:
            with self.subTest(test_id):
                entry = self.run_.tests[test_id]
                self.assertEqual(entry["outcome"], "passed", entry.get("longrepr"))
                self.assertLess(entry["duration"], 0.5, entry)  # each sleeps an hour or more, virtually

    def test_executor_work_and_sockets_still_work(self):
        for suffix in ("test_executor_work_is_waited_for_not_jumped_over", "test_sockets_still_work"):
            with self.subTest(suffix):
                self.assertEqual(self.run_.test(suffix)["outcome"], "passed", self.run_.describe())
        # the thread sleeps 0.2 s of wall time, inside a wait_for of 5 virtual seconds that does not fire
        self.assertGreaterEqual(self.run_.test("test_executor_work_is_waited_for_not_jumped_over")["duration"], 0.2)

    def test_the_time_limit_keeps_counting_wall_time(self):
        for part, line in (("AsyncioWallLimit.test_waits_forever", "# the asyncio test waits forever"),
                           ("TrioWallLimit.test_waits_forever", "# the trio test waits forever")):
            with self.subTest(part):
                entry = self.run_.test(part)
                self.assertEqual(entry["outcome"], "error", self.run_.describe())
                self.assertRegex(entry["message"], TIMED_OUT.format(part=re.escape(part)))
                self.assertIn(f"test_wall_limit.py:{line_of('virtual_time', 'test_wall_limit.py', line)} in "
                              "test_waits_forever", entry["longrepr"])
                self.assertGreaterEqual(entry["duration"], 0.45)  # the wall clock's half second, not a jump
                self.assertLess(entry["duration"], 3.0)

    def test_a_uvloop_test_on_the_virtual_clock_is_skipped_saying_why(self):
        entry = self.run_.tests["test_trio.EveryBackend.test_a_day_of_sleeps[asyncio+uvloop]"]
        self.assertEqual(entry["outcome"], "skipped")
        self.assertEqual(entry["message"], (
            "backend 'asyncio+uvloop' cannot run on the virtual clock: uvloop's timers run inside libuv on its own "
            "clock, which harness cannot move; run this test on 'asyncio' or 'trio', or set clock = \"real\""
        ))

    def test_the_real_clock_is_left_alone(self):
        self.assertEqual(self.run_.test("RealClock.test_sleep_takes_real_time")["outcome"], "passed")
        for suffix in ("RealClock.test_advance_says_it_needs_the_virtual_clock",
                       "TrioRealClock.test_advance_says_it_needs_the_virtual_clock"):
            with self.subTest(suffix):
                entry = self.run_.test(f"test_clock_choice.{suffix}")
                self.assertEqual(entry["outcome"], "error")
                self.assertRegex(entry["message"], (
                    r"^RuntimeError: self\.clock\.advance\(\) needs the virtual clock, and \S+ runs on the real one: "
                    r"set `clock = \"virtual\"` on the class, or put @harness\.virtual_clock on the test method$"
                ))

    def test_the_skip_and_the_timeout_are_printed(self):
        lines = self.run_.lines()
        self.assertIn(
            "test_trio.EveryBackend.test_a_day_of_sleeps[asyncio+uvloop] ... skipped", "\n".join(lines))
        self.assertTrue(any(line.startswith("harness.testcase.timeouts.TimeLimitExceeded: timed out after 0.5 s in "
                                            "AsyncioWallLimit.test_waits_forever") for line in lines), lines)


class WallTimeTests(unittest.TestCase):
    def test_a_virtual_run_takes_the_limits_not_the_sleeps(self):
        run = run_harness("virtual_time", "--seed", "2", "-k", "test_jumps", "-k", "TrioVirtual")
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.lines()[-1], "12 passed, 0 failed, 0 skipped", run.describe())
        # 12 tests that sleep for days of virtual time; one waits 0.2 s for a thread; imports and start-up dominate
        self.assertLess(run.report["duration"], 3.0, run.describe())


class ChoosingTheClockTests(unittest.TestCase):
    def test_the_class_attribute_reads_as_the_clock_name(self):
        class Virtual(harness.AsyncTestCase):
            clock = "virtual"

        self.assertEqual(harness.AsyncTestCase.clock, "real")
        self.assertEqual(Virtual.clock, "virtual")

    def test_an_unknown_clock_fails_the_class_naming_it_and_the_choices(self):
        with self.assertRaisesRegex(ValueError, (
            r"^unknown clock 'fake' in ChoosingTheClockTests\.test_\w+\.<locals>\.Fake\.clock; "
            r"choose one of: 'real', 'virtual'$"
        )):
            class Fake(harness.AsyncTestCase):
                clock = "fake"

    def test_the_decorator_marks_one_method_and_refuses_a_class(self):
        class Real(harness.AsyncTestCase):
            async def test_real(self):
                pass

            @harness.virtual_clock
            async def test_virtual(self):
                pass

        self.assertEqual(clocks.find(Real("test_real")), "real")
        self.assertEqual(clocks.find(Real("test_virtual")), "virtual")
        with self.assertRaisesRegex(TypeError, r"^@harness\.virtual_clock is for test methods; .* set `clock = "):
            harness.virtual_clock(Real)

    def test_advance_takes_seconds_from_zero_up(self):
        moved = []
        clock = clocks.Clock(lambda: 0.0, moved.append, "T.test")
        clock.advance(0)
        clock.advance(2)
        self.assertEqual(moved, [0.0, 2.0])
        for bad, error in ((-1, ValueError), (float("inf"), ValueError), ("1", TypeError), (True, TypeError)):
            with self.subTest(bad), self.assertRaisesRegex(error, r"^self\.clock\.advance\(seconds\) "):
                clock.advance(bad)

    def test_self_clock_outside_the_test_says_when_it_exists(self):
        class Real(harness.AsyncTestCase):
            async def test_it(self):
                pass

        with self.assertRaisesRegex(RuntimeError, r"^self\.clock of \S+ exists only while the test runs"):
            Real("test_it").clock  # noqa: B018
