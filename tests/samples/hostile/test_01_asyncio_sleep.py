"""asyncio.sleep replaced by a function that raises, with a task left for enforced teardown to cancel."""
import asyncio
import unittest

import harness

REAL_SLEEP = asyncio.sleep


def no_sleep(delay, result=None):
    raise RuntimeError("asyncio.sleep is patched by a hostile test")


class HostileTests(harness.AsyncTestCase):
    async def test_patches_asyncio_sleep(self):
        asyncio.get_running_loop().create_task(asyncio.Event().wait())  # teardown must cancel it
        await asyncio.sleep(0)
        asyncio.sleep = no_sleep


class InnocentTests(harness.AsyncTestCase):
    async def test_sleeps(self):
        self.assertIs(asyncio.sleep, REAL_SLEEP)
        await asyncio.sleep(0.001)


class IsolatedHostileTests(unittest.IsolatedAsyncioTestCase):
    async def test_patches_asyncio_sleep(self):
        asyncio.get_running_loop().create_task(asyncio.Event().wait())
        await asyncio.sleep(0)
        asyncio.sleep = no_sleep


class IsolatedInnocentTests(unittest.IsolatedAsyncioTestCase):
    async def test_sleeps(self):
        self.assertIs(asyncio.sleep, REAL_SLEEP)
        await asyncio.sleep(0.001)
