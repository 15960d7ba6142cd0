"""Tasks that swallow every cancellation: teardown must give up on them within its bound."""
import asyncio
import unittest

import anyio

import harness


async def stubborn():
    while True:
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            pass


async def stubborn_asyncio():
    while True:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass


class HarnessStubbornTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_task_refuses_cancellation(self):
        self.task_group.start_soon(stubborn)
        await anyio.sleep(0.01)

    async def test_after_the_stubborn_one(self):
        await anyio.sleep(0.01)


class StdlibStubbornTests(unittest.IsolatedAsyncioTestCase):
    async def test_task_refuses_cancellation(self):
        self.task = asyncio.get_running_loop().create_task(stubborn_asyncio())
        await asyncio.sleep(0.01)

    async def test_after_the_stubborn_one(self):
        await asyncio.sleep(0.01)
