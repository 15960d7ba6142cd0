"""A connection cached at module level, whose pending reply belongs to the loop of the test that opened it."""
import asyncio
import unittest

import trio

import harness

_connections = {}


class Connection:
    def __init__(self):
        loop = asyncio.get_running_loop()
        self.reply = loop.create_future()
        loop.call_later(0.01, self.reply.set_result, "pong")

    async def ping(self):
        return await asyncio.wait_for(asyncio.shield(self.reply), 1)

    async def wait_for_reply(self):
        return await self.reply


async def connect(key):
    if key not in _connections:
        _connections[key] = Connection()
    return _connections[key]


class StdlibConnectionTests(unittest.IsolatedAsyncioTestCase):
    async def test_a_connect(self):
        self.assertIsNotNone(await connect("stdlib"))

    async def test_b_ping(self):
        conn = await connect("stdlib")
        self.assertEqual(await conn.ping(), "pong")


class HarnessConnectionTests(harness.AsyncTestCase):
    async def test_a_connect(self):
        self.assertIsNotNone(await connect("harness"))

    async def test_b_reply(self):
        conn = await connect("harness")
        self.assertEqual(await conn.wait_for_reply(), "pong")


class TrioTokenTests(harness.AsyncTestCase):
    """A TrioToken cached by one test and used by the next, whose trio run is another."""

    backend = "trio"

    async def test_a_remember(self):
        _connections["token"] = trio.lowlevel.current_trio_token()

    async def test_b_wake(self):
        token = _connections["token"]
        token.run_sync_soon(print, "woken")

    def test_c_sync_part(self):
        trio.current_time()  # a sync test runs outside the trio run


class ClassPoolTests(harness.AsyncTestCase):
    """A pool made on a class loop, used after the class ended by a test of another class."""

    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        _connections["class reply"] = asyncio.get_running_loop().create_future()  # answered by no one

    async def test_a_made(self):
        self.assertFalse(_connections["class reply"].done())


class UsesTheClassPoolLaterTests(harness.AsyncTestCase):
    async def test_reply(self):
        reply = _connections["class reply"]
        await reply
