"""Which limit applies: the method's, else the class's, else --timeout, else setup.cfg."""
import asyncio

import harness


class RunLimit(harness.AsyncTestCase):
    async def test_sleeps(self):
        await asyncio.sleep(0.6)


class ClassLimit(harness.AsyncTestCase):
    timeout = 0.4

    async def test_sleeps(self):
        await asyncio.sleep(0.6)

    @harness.timeout(0.25)
    async def test_method_limit(self):
        await asyncio.sleep(0.6)

    @harness.timeout(0)
    async def test_no_limit(self):
        await asyncio.sleep(0.6)
