"""A connection cached at module level, whose pending reply belongs to the loop of the test that opened it."""
import asyncio
import unittest

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
