"""The fix: one loop for the class, and the connection made on it in asyncSetUpClass."""
import harness
from pool import Connection


class SharedConnectionTests(harness.AsyncTestCase):
    loop_scope = "class"

    @classmethod
    async def asyncSetUpClass(cls):
        cls.conn = Connection()  # on the class's loop, which every test of the class runs on

    async def test_select_one(self):
        self.assertEqual(await self.conn.query("select 1"), "result of 'select 1'")

    async def test_select_two(self):
        self.assertEqual(await self.conn.query("select 2"), "result of 'select 2'")
