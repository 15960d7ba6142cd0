"""The real clock is the default and is left alone; @harness.virtual_clock turns one method virtual."""
import asyncio
import time

import harness


class RealClock(harness.AsyncTestCase):
    async def test_sleep_takes_real_time(self):
        wall = time.monotonic()
        start = self.clock.time()
        await asyncio.sleep(0.05)
        self.assertGreaterEqual(time.monotonic() - wall, 0.05)
        self.assertGreaterEqual(self.clock.time() - start, 0.05)
        self.assertLess(abs(asyncio.get_running_loop().time() - time.monotonic()), 1.0)

    async def test_advance_says_it_needs_the_virtual_clock(self):
        self.clock.advance(1)

    @harness.virtual_clock
    async def test_one_method_on_the_virtual_clock(self):
        await asyncio.sleep(HOUR := 3600)
        self.assertEqual(self.clock.time(), HOUR)


class TrioRealClock(harness.AsyncTestCase):
    backend = "trio"

    async def test_advance_says_it_needs_the_virtual_clock(self):
        self.clock.advance(1)

    @harness.virtual_clock
    async def test_one_method_on_the_virtual_clock(self):
        import trio

        await trio.sleep(3600)
        self.assertEqual(self.clock.time(), 3600)
