"""A pool owned by a class-scoped loop that opens connections as its tests need them (no database needed)."""
import asyncio
import os
import socket

import harness


class Pool:
    def __init__(self):
        self.connections = []

    async def grow(self):
        left, right = socket.socketpair()
        _, writer = await asyncio.open_connection(sock=left)
        self.connections.append((writer, right))

    async def close(self):
        for writer, right in self.connections:
            writer.close()
            await writer.wait_closed()
            right.close()


class ClosingTests(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.pool = Pool()
        await cls.pool.grow()

    @classmethod
    async def asyncTearDownClass(cls):
        await cls.pool.close()

    async def test_grows(self):
        await self.pool.grow()
        self.assertEqual(len(self.pool.connections), 2)

    async def test_uses(self):
        self.assertTrue(self.pool.connections)


class ForgetfulTests(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.pool = Pool()
        await cls.pool.grow()

    async def test_grows(self):
        await self.pool.grow()

    async def test_leaves_a_file_open(self):
        type(self).handle = open(os.path.abspath(__file__))  # noqa: SIM115
