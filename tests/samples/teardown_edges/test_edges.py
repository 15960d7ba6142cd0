"""Corners of the per-test loop: context variables, a failed task group, a stuck executor, error messages."""
import asyncio
import contextvars
import time

import anyio

import harness

var = contextvars.ContextVar("var", default="unset")


def helper():
    """Not a test: naming it as a target must not call it."""
    print("helper was called")


class ContextTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    def setUp(self):
        self.assertEqual(var.get(), "unset", "a value set by an earlier test's setUp leaked into this one")
        var.set(f"set in setUp of {self.id()}")

    async def asyncSetUp(self):
        self.assertEqual(var.get(), f"set in setUp of {self.id()}")

    async def test_first(self):
        self.assertEqual(var.get(), f"set in setUp of {self.id()}")

    async def test_second(self):
        self.assertEqual(var.get(), f"set in setUp of {self.id()}")


async def fail_soon():
    await anyio.sleep(0.01)
    raise ValueError("background task broke")


async def fail_on_cancel():
    try:
        await anyio.sleep(3600)
    finally:
        raise OSError("cleanup in a background task broke")


class AfterCrashTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def asyncTearDown(self):
        print("asyncTearDown ran")

    async def test_background_task_fails(self):
        self.addAsyncCleanup(self._cleanup)
        self.task_group.start_soon(fail_soon)
        await anyio.sleep(5)

    async def _cleanup(self):
        print("async cleanup ran")


class CancelFailTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_task_fails_when_cancelled(self):
        self.task_group.start_soon(fail_on_cancel)
        await anyio.sleep(0.01)


class ExecutorTests(harness.AsyncTestCase):
    teardown_timeout = 0.2

    async def test_thread_left_in_the_executor(self):
        asyncio.get_running_loop().run_in_executor(None, time.sleep, 2)
        await asyncio.sleep(0)


class MessageTests(harness.AsyncTestCase):
    async def test_callback_raises(self):
        asyncio.get_running_loop().call_soon(lambda: 1 / 0)
        await asyncio.sleep(0.01)

    async def test_enter_async_context_with_a_plain_object(self):
        await self.enterAsyncContext(object())

    async def test_assertion_fails(self):
        self.assertEqual(await asyncio.sleep(0, 1), 2)
