"""harness's answer: the pool belongs to the class, opened in asyncSetUpClass on the class's loop."""
import asyncio

import asyncpg

import harness


class OrdersTests(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.pool = await asyncpg.create_pool(min_size=1, max_size=3)

    @classmethod
    async def asyncTearDownClass(cls):
        await cls.pool.close()

    async def test_count(self):
        self.assertEqual(await self.pool.fetchval("select count(*) from generate_series(1, 3)"), 3)

    async def test_concurrent(self):
        # three queries at once: the pool opens the connections it lacks, which are the class's, not this test's
        results = await asyncio.gather(*(self.pool.fetchval("select $1::int, pg_sleep(0.05)", n) for n in range(3)))
        self.assertEqual(results, [0, 1, 2])

    async def test_in_transaction(self):
        async with self.pool.acquire() as connection, connection.transaction():
            self.assertEqual(await connection.fetchval("select 1"), 1)


class UsersTests(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.pool = await asyncpg.create_pool(min_size=1, max_size=2)

    @classmethod
    async def asyncTearDownClass(cls):
        await cls.pool.close()

    async def test_name(self):
        self.assertEqual(await self.pool.fetchval("select 'ada'"), "ada")

    async def test_two_at_once(self):
        names = await asyncio.gather(self.pool.fetchval("select 'ada'"), self.pool.fetchval("select 'bob'"))
        self.assertEqual(names, ["ada", "bob"])
