"""A test that opens a connection and never closes it, beside one that does."""
import asyncpg

import harness


class LeakTests(harness.AsyncTestCase):
    async def test_forgets_to_close(self):
        connection = await asyncpg.connect()
        self.assertEqual(await connection.fetchval("select 1"), 1)

    async def test_closes(self):
        connection = await asyncpg.connect()
        try:
            self.assertEqual(await connection.fetchval("select 1"), 1)
        finally:
            await connection.close()
