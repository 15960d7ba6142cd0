"""A connection per test, opened in asyncSetUp and closed as a cleanup: nothing shared, nothing left."""
import asyncpg

import harness


class OrdersTests(harness.AsyncTestCase):
    async def asyncSetUp(self):
        self.connection = await asyncpg.connect()
        self.addAsyncCleanup(self.connection.close)

    async def test_count(self):
        self.assertEqual(await self.connection.fetchval("select count(*) from generate_series(1, 3)"), 3)

    async def test_in_transaction(self):
        async with self.connection.transaction():
            self.assertEqual(await self.connection.fetchval("select 1"), 1)

    async def test_pool_of_its_own(self):
        async with asyncpg.create_pool(min_size=1, max_size=2) as pool:
            self.assertEqual(await pool.fetchval("select 2"), 2)
