"""Each test gets a fresh loop, but the module caches a connection made on the first test's loop."""
import harness
from pool import get_connection


class CachedConnectionTests(harness.AsyncTestCase):
    async def test_select_one(self):
        conn = await get_connection()
        self.assertEqual(await conn.query("select 1"), "result of 'select 1'")

    async def test_select_two(self):
        conn = await get_connection()
        self.assertEqual(await conn.query("select 2"), "result of 'select 2'")
