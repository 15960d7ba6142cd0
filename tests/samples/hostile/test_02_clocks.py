"""time.monotonic, time.time and time.perf_counter replaced by clocks that stand still far from now."""
import asyncio
import time

import trio

import harness

REAL = (time.monotonic, time.time, time.perf_counter)


def frozen_far_future():
    return 1e12


def frozen_past():
    return -1e9


class HostileTests(harness.TestCase):
    def test_patches_every_clock(self):
        time.monotonic = frozen_far_future
        time.time = frozen_past
        time.perf_counter = frozen_far_future


class InnocentTests(harness.TestCase):
    def test_clocks_are_real(self):
        self.assertEqual((time.monotonic, time.time, time.perf_counter), REAL)
        self.assertLess(abs(time.time() - 1.7e9), 1e9)


class LoopHostileTests(harness.AsyncTestCase):
    async def test_stops_the_loops_clock(self):
        asyncio.get_running_loop().create_task(asyncio.sleep(3600))  # teardown must cancel it on a stopped clock
        await asyncio.sleep(0)
        time.monotonic = frozen_far_future
        time.perf_counter = frozen_far_future


class LoopInnocentTests(harness.AsyncTestCase):
    async def test_sleeps_on_a_real_clock(self):
        self.assertIs(time.monotonic, REAL[0])
        await asyncio.sleep(0.001)


class TrioHostileTests(harness.AsyncTestCase):
    backend = "trio"

    async def test_patches_the_clocks(self):
        await trio.sleep(0)
        time.monotonic = frozen_past
        time.perf_counter = frozen_past
        await trio.sleep(0.001)


class TrioInnocentTests(harness.AsyncTestCase):
    backend = "trio"

    async def test_sleeps_on_a_real_clock(self):
        self.assertEqual((time.monotonic, time.perf_counter), (REAL[0], REAL[2]))
        await trio.sleep(0.001)
