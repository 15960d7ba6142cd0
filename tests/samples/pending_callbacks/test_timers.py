"""Loop callbacks left scheduled at the end of a test (call_later, call_at, call_soon), and tests that leave none."""
import asyncio
import functools
import unittest

import harness

LEFT = {}  # the last handle each test scheduled and left: harness cancels each before it closes the test's loop


def refresh(key):
    raise AssertionError(f"refresh({key!r}) ran after its test")


class Cache:
    def __init__(self):
        self.loop = asyncio.get_running_loop()

    def start(self):
        LEFT["helper"] = self.loop.call_later(3600, self.expire)

    def expire(self):
        raise AssertionError("Cache.expire ran after its test")


class LeftTests(harness.AsyncTestCase):
    async def test_call_later(self):
        LEFT["a"] = asyncio.get_running_loop().call_later(3600, refresh, "a")

    async def test_call_at_partial(self):
        loop = asyncio.get_running_loop()
        LEFT["b"] = loop.call_at(loop.time() + 60, functools.partial(refresh, "b"))

    async def test_bound_method_in_a_helper(self):
        Cache().start()

    async def test_lambda(self):
        LEFT["c"] = asyncio.get_running_loop().call_later(30, lambda: refresh("c"))

    async def test_call_soon_again_and_again(self):
        loop = asyncio.get_running_loop()

        def poll():
            LEFT["poll"] = loop.call_soon(poll)

        LEFT["poll"] = loop.call_soon(poll)


class CleanTests(harness.AsyncTestCase):
    async def test_cancels_its_timer(self):
        handle = asyncio.get_running_loop().call_later(3600, refresh, "d")
        handle.cancel()

    async def test_timers_that_fire(self):
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        loop.call_later(0.01, fired.set_result, None)
        await fired
        await asyncio.sleep(0.01)
        await asyncio.wait_for(asyncio.sleep(0), 5)
        async with asyncio.timeout(5):
            await asyncio.sleep(0)

    async def test_last_call_soon_runs_at_shutdown(self):
        asyncio.get_running_loop().call_soon(print, "ran at shutdown")

    async def test_sleeps_in_a_task_group(self):
        self.task_group.start_soon(asyncio.sleep, 0)
        await asyncio.sleep(0.01)


class UvloopTests(harness.AsyncTestCase):
    backend = "asyncio+uvloop"

    async def test_call_later_on_uvloop(self):
        LEFT["e"] = asyncio.get_running_loop().call_later(3600, refresh, "e")

    async def test_clean_on_uvloop(self):
        await asyncio.sleep(0.01)
        asyncio.get_running_loop().call_later(3600, refresh, "f").cancel()


class StdlibTests(unittest.IsolatedAsyncioTestCase):
    async def test_call_later_in_stdlib_case(self):
        LEFT["g"] = asyncio.get_running_loop().call_later(3600, refresh, "g")

    async def test_call_soon_again_and_again_in_stdlib_case(self):
        loop = asyncio.get_running_loop()

        def poll():
            LEFT["stdlib poll"] = loop.call_soon(poll)

        LEFT["stdlib poll"] = loop.call_soon(poll)

    async def test_clean_in_stdlib_case(self):
        await asyncio.sleep(0.01)
        asyncio.get_running_loop().call_soon(print, "ran at shutdown")


def tearDownModule():
    live = sorted(name for name, handle in LEFT.items() if not handle.cancelled())
    if live:
        raise AssertionError(f"callbacks left scheduled were not cancelled: {live}")
