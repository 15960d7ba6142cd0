"""Async tests that run past their time limits, and tests around them that must be unaffected."""
import asyncio
import threading
import time

import anyio

import harness

STOP_THREAD = threading.Event()


async def wait_forever(event):
    await event.wait()  # the forgotten task waits


class AsyncioHangs(harness.AsyncTestCase):
    timeout = 0.5

    async def test_awaits_forever(self):
        helper = threading.Thread(target=self.blocked_helper, name="blocked-helper", daemon=True)
        helper.start()
        self.addCleanup(helper.join)
        self.addCleanup(STOP_THREAD.set)
        event = asyncio.Event()
        asyncio.get_running_loop().create_task(wait_forever(event), name="forgotten-waiter")
        await event.wait()  # the asyncio test waits

    def blocked_helper(self):
        STOP_THREAD.wait(30)

    @harness.timeout(0.3)
    async def test_method_limit_beats_the_class_one(self):
        await asyncio.sleep(30)

    async def test_finishes_in_time(self):
        await asyncio.sleep(0.01)


class TeardownHangs(harness.AsyncTestCase):
    timeout = 0.3
    teardown_timeout = 0.2

    async def asyncTearDown(self):
        await asyncio.sleep(30)

    async def test_sleeps_past_the_limit(self):
        await asyncio.sleep(30)


class TrioHangs(harness.AsyncTestCase):
    backend = "trio"
    timeout = 0.4

    async def test_sleeps_in_trio(self):
        async with anyio.create_task_group() as group:
            group.start_soon(self.sleeper)
            await anyio.sleep(30)  # the trio test waits

    async def sleeper(self):
        await anyio.sleep(30)  # the trio sleeper waits


class ZRunGoesOn(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_passes(self):
        await anyio.sleep(0)

    def test_sync_passes(self):
        time.sleep(0.01)


class UvloopHangs(harness.AsyncTestCase):
    backend = "asyncio+uvloop"
    timeout = 0.3

    async def test_sleeps_on_uvloop(self):
        await asyncio.sleep(30)


class StubbornHangs(harness.AsyncTestCase):
    timeout = 0.3
    teardown_timeout = 0.2

    async def asyncTearDown(self):
        pass

    async def test_ignores_cancellation(self):
        while True:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                pass
