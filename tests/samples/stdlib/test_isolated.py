"""unittest.IsolatedAsyncioTestCase, unchanged: async fixtures, cleanups, skips, expected failures, subtests."""
import asyncio
import unittest


class AsyncFixtureTests(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.resource = "open"

    async def asyncSetUp(self):
        self.connection = "connected"
        self.addAsyncCleanup(self.disconnect)

    async def disconnect(self):
        await asyncio.sleep(0)
        self.connection = "closed"

    async def test_sees_fixtures(self):
        self.assertEqual((self.resource, self.connection), ("open", "connected"))

    async def test_fails(self):
        await asyncio.sleep(0)
        self.assertEqual(self.connection, "elsewhere")

    async def test_errors(self):
        await asyncio.sleep(0)
        raise KeyError("no such key")

    @unittest.skip("not today")
    async def test_skipped(self):
        pass

    @unittest.expectedFailure
    async def test_expected_failure(self):
        self.assertEqual(1, 2)

    async def test_subtests_some_fail(self):
        for i in range(3):
            with self.subTest(i=i):
                await asyncio.sleep(0)
                self.assertNotEqual(i, 2)


class BrokenTearDownTests(unittest.IsolatedAsyncioTestCase):
    async def test_passes_but_teardown_breaks(self):
        pass

    async def asyncTearDown(self):
        raise RuntimeError("asyncTearDown broke")
