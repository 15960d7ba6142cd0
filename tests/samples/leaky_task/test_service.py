"""A test that starts a background loop and returns without stopping it (the stdlib's base class)."""
import asyncio
import unittest


class Cache:
    def __init__(self):
        self.items = {}
        self._task = None

    async def start(self):
        self._task = asyncio.get_running_loop().create_task(self._expire_loop())

    async def _expire_loop(self):
        while True:
            await asyncio.sleep(3600)
            self.items.clear()


class CacheTests(unittest.IsolatedAsyncioTestCase):
    async def test_start_leaves_expiry_running(self):
        cache = Cache()
        await cache.start()
        cache.items["a"] = 1
        self.assertEqual(cache.items, {"a": 1})

    async def test_clean(self):
        await asyncio.sleep(0)
