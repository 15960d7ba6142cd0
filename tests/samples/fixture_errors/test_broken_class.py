"""Class fixtures that fail, beside a class whose tests fan out to two backends."""
import unittest

import harness


class BrokenSetUpTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise OSError("database is down")

    def test_never_runs(self):
        pass


class BrokenTearDownTests(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        raise RuntimeError("could not close")

    def test_passes(self):
        pass


class FanOutTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_passes(self):
        pass
