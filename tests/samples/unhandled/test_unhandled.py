"""Errors the event loop would only log: each must become an error of the test that caused it."""
import asyncio
import gc

import trio

import harness


async def explode():
    raise LookupError("nobody retrieved me")


async def never():
    pass


class AsyncioUnhandledTests(harness.AsyncTestCase):
    async def test_task_exception_never_retrieved(self):
        asyncio.get_running_loop().create_task(explode())
        await asyncio.sleep(0.01)

    async def test_exception_in_loop_callback(self):
        def callback():
            raise ZeroDivisionError("raised in a loop callback")

        asyncio.get_running_loop().call_soon(callback)
        await asyncio.sleep(0.01)

    async def test_coroutine_never_awaited(self):
        never()  # dropped on asyncio

    async def test_clean(self):
        await asyncio.sleep(0.01)
        gc.collect()


class TrioUnhandledTests(harness.AsyncTestCase):
    backend = "trio"

    async def test_coroutine_never_awaited(self):
        never()  # dropped on trio

    async def test_clean(self):
        await trio.sleep(0.01)
        gc.collect()


class SyncUnhandledTests(harness.TestCase):
    def test_coroutine_never_awaited(self):
        never()  # dropped on sync

    def test_clean(self):
        gc.collect()
