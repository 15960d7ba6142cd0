"""A pool cached in a module global: made on the loop of whichever test runs first, reused by the others on theirs."""
import asyncpg

import harness

_pool = None


async def pool():
    global _pool
    if _pool is None:
        _pool = await asyncpg.create_pool(min_size=1, max_size=2)
    return _pool


class OrdersTests(harness.AsyncTestCase):
    async def test_count(self):
        self.assertEqual(await (await pool()).fetchval("select count(*) from generate_series(1, 3)"), 3)

    async def test_sum(self):
        self.assertEqual(await (await pool()).fetchval("select sum(x) from generate_series(1, 4) as x"), 10)

    async def test_in_transaction(self):
        async with (await pool()).acquire() as connection, connection.transaction():
            self.assertEqual(await connection.fetchval("select 1"), 1)


class UsersTests(harness.AsyncTestCase):
    async def test_name(self):
        self.assertEqual(await (await pool()).fetchval("select 'ada'"), "ada")

    async def test_names(self):
        rows = await (await pool()).fetch("select x from generate_series(1, 2) as x")
        self.assertEqual([row["x"] for row in rows], [1, 2])
