"""Hour-long sleeps, a background loop, timer order, timeouts and self.clock on the virtual clock."""
import asyncio
import time

import anyio

import harness

HOUR = 3600


class AsyncioVirtual(harness.AsyncTestCase):
    clock = "virtual"

    async def test_hour_long_sleeps_return_at_once(self):
        loop = asyncio.get_running_loop()
        wall, start = time.monotonic(), loop.time()
        for _ in range(24):
            await asyncio.sleep(HOUR)
        self.assertEqual(loop.time() - start, 24 * HOUR)
        self.assertEqual(self.clock.time(), loop.time())
        print(f"virtual {loop.time() - start:g} s in wall {time.monotonic() - wall:.3f} s")

    async def test_background_loop_runs_three_times(self):
        runs = []

        async def refresh_every_hour():
            while True:
                runs.append(self.clock.time())
                await asyncio.sleep(HOUR)

        task = asyncio.create_task(refresh_every_hour())
        while len(runs) < 3:
            await asyncio.sleep(60)
        task.cancel()
        self.assertEqual(runs, [0.0, 3600.0, 7200.0])

    async def test_timers_keep_their_order(self):
        order = []
        loop = asyncio.get_running_loop()
        for delay in (30, 10, 20, 10.5, 0):
            loop.call_later(delay, order.append, delay)
        await asyncio.sleep(31)
        self.assertEqual(order, [0, 10, 10.5, 20, 30])

    async def test_asyncio_timeout_and_wait_for_fire_in_virtual_time(self):
        event = asyncio.Event()
        with self.assertRaises(TimeoutError):
            async with asyncio.timeout(600):
                await event.wait()
        self.assertEqual(self.clock.time(), 600)
        with self.assertRaises(TimeoutError):
            await asyncio.wait_for(event.wait(), 60)
        self.assertEqual(self.clock.time(), 660)

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
        fired = []
        asyncio.get_running_loop().call_later(100, fired.append, "due")
        self.clock.advance(99)
        self.assertEqual(self.clock.time(), 99)
        await asyncio.sleep(2)  # the timer, now 1 s away, fires on the way
        self.assertEqual(fired, ["due"])
        self.assertEqual(self.clock.time(), 101)
        with self.assertRaisesRegex(ValueError, r"^self\.clock\.advance\(seconds\) moves time forward"):
            self.clock.advance(-1)

    async def test_sockets_still_work(self):
        async def echo(reader, writer):
            writer.write(await reader.readline())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping\n")
        self.assertEqual(await asyncio.wait_for(reader.readline(), 10), b"ping\n")
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    async def test_executor_work_is_waited_for_not_jumped_over(self):
        result = await asyncio.wait_for(asyncio.to_thread(time.sleep, 0.2), 5)
        self.assertIsNone(result)
