"""The same on trio, through trio's MockClock with autojump; and a class fanned out to every backend."""
import time

import anyio
import trio

import harness

HOUR = 3600


class TrioVirtual(harness.AsyncTestCase):
    backend = "trio"
    clock = "virtual"

    async def test_hour_long_sleeps_return_at_once(self):
        start = trio.current_time()
        for _ in range(24):
            await trio.sleep(HOUR)
        self.assertEqual(trio.current_time() - start, 24 * HOUR)
        self.assertEqual(self.clock.time(), trio.current_time())

    async def test_background_loop_runs_three_times(self):
        runs = []

        async def refresh_every_hour():
            while True:
                runs.append(self.clock.time())
                await trio.sleep(HOUR)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(refresh_every_hour)
            while len(runs) < 3:
                await trio.sleep(60)
            nursery.cancel_scope.cancel()
        self.assertEqual(runs, [0.0, 3600.0, 7200.0])

    async def test_anyio_fail_after_and_move_on_after_fire_in_virtual_time(self):
        event = anyio.Event()
        with self.assertRaises(TimeoutError):
            with anyio.fail_after(600):
                await event.wait()
        with anyio.move_on_after(60) as scope:
            await event.wait()
        self.assertTrue(scope.cancelled_caught)
        self.assertEqual(self.clock.time(), 660)

    async def test_advance_moves_time_by_hand(self):
        start = self.clock.time()
        self.clock.advance(99)
        self.assertEqual(self.clock.time(), start + 99)
        with trio.move_on_at(start + 100):
            await trio.sleep_forever()
        self.assertEqual(self.clock.time(), start + 100)


class EveryBackend(harness.AsyncTestCase):
    backends = ("asyncio", "trio", "asyncio+uvloop")
    clock = "virtual"

    async def test_a_day_of_sleeps(self):
        wall = time.monotonic()
        start = self.clock.time()
        await anyio.sleep(24 * HOUR)
        self.assertEqual(self.clock.time() - start, 24 * HOUR)
        self.assertLess(time.monotonic() - wall, 1.0)
