"""Tests that say when they or their class fixture run, which --collect-only must not do."""
import unittest

import harness


class FixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print("setUpClass ran")

    def test_one(self):
        print("test_one ran")

    def test_two(self):
        print("test_two ran")


class FannedOutTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_everywhere(self):
        print("test_everywhere ran")
