"""The per-test time limit counts wall-clock time under the virtual clock."""
import asyncio

import trio

import harness

HOUR = 3600


class AsyncioWallLimit(harness.AsyncTestCase):
    clock = "virtual"
    timeout = 0.5

    async def test_a_million_seconds_fit_in_half_a_second(self):
        await asyncio.sleep(10**6)

    async def test_waits_forever(self):
        async def tick():
            while True:
                await asyncio.sleep(HOUR)  # virtual time keeps racing ahead meanwhile

        self.task_group.start_soon(tick)
        await asyncio.Event().wait()  # the asyncio test waits forever


class TrioWallLimit(harness.AsyncTestCase):
    backend = "trio"
    clock = "virtual"
    timeout = 0.5

    async def test_a_million_seconds_fit_in_half_a_second(self):
        await trio.sleep(10**6)

    async def test_waits_forever(self):
        await trio.Event().wait()  # the trio test waits forever
