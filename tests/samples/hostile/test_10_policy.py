"""An event loop policy that refuses to make, set or get loops, set inside tests and not put back."""
import asyncio
import unittest

import trio

import harness


class RefusingPolicy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        raise RuntimeError("RefusingPolicy makes no loops")

    def set_event_loop(self, loop):
        raise RuntimeError("RefusingPolicy sets no loops")

    def get_event_loop(self):
        raise RuntimeError("RefusingPolicy gets no loops")


def policy_is_default() -> bool:
    return type(asyncio.get_event_loop_policy()) is asyncio.DefaultEventLoopPolicy


class HostileTests(harness.TestCase):
    def test_sets_a_policy(self):
        asyncio.set_event_loop_policy(RefusingPolicy())


class InnocentTests(harness.AsyncTestCase):
    async def test_gets_a_loop(self):
        self.assertTrue(policy_is_default())
        await asyncio.sleep(0)


class LoopHostileTests(harness.AsyncTestCase):
    async def test_sets_a_policy_on_its_loop(self):
        asyncio.set_event_loop_policy(RefusingPolicy())


class LoopInnocentTests(harness.AsyncTestCase):
    async def test_gets_a_loop(self):
        self.assertTrue(policy_is_default())
        await asyncio.sleep(0)


class TrioHostileTests(harness.AsyncTestCase):
    backend = "trio"

    async def test_sets_a_policy_under_trio(self):
        asyncio.set_event_loop_policy(RefusingPolicy())
        await trio.sleep(0)


class TrioInnocentTests(harness.AsyncTestCase):
    async def test_gets_a_loop(self):
        self.assertTrue(policy_is_default())
        await asyncio.sleep(0)


class ZIsolatedHostileTests(unittest.IsolatedAsyncioTestCase):
    async def test_sets_a_policy(self):
        asyncio.set_event_loop_policy(RefusingPolicy())


class ZIsolatedInnocentTests(unittest.IsolatedAsyncioTestCase):
    async def test_gets_a_loop(self):
        self.assertTrue(policy_is_default())
        await asyncio.sleep(0)
