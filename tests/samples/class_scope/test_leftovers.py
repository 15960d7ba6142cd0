"""Class-scoped loops and what is still checked per test: leftover tasks, time limits, a failing class set-up."""
import asyncio

import anyio

import harness


class AsyncioLeak(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.ticker = asyncio.get_running_loop().create_task(asyncio.sleep(3600))  # the class's: cancelled below

    @classmethod
    async def asyncTearDownClass(cls):
        cls.ticker.cancel()

    async def test_leaks(self):
        asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="left-by-test_leaks")

    async def test_clean(self):
        await asyncio.sleep(0)


class TrioLeak(harness.AsyncTestCase):
    loop_scope = "class"
    backend = "trio"

    async def test_leaks(self):
        self.task_group.start_soon(anyio.sleep, 3600, name="left-by-test_leaks")

    async def test_clean(self):
        await anyio.sleep(0)


class ClassTaskLeftRunning(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.class_task_group.start_soon(anyio.sleep, 3600, name="started-in-asyncSetUpClass")

    async def test_passes(self):
        pass


class Slow(harness.AsyncTestCase):
    loop_scope = "class"
    backends = ("asyncio", "trio")
    timeout = 0.3

    async def test_over_time(self):
        await anyio.sleep(3600)

    async def test_after_the_slow_one(self):
        await anyio.sleep(0)


class BrokenSetUp(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        raise ConnectionRefusedError("the database is not there")

    async def test_one(self):
        pass

    async def test_two(self):
        pass
