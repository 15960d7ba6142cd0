"""breakpoint() in tests (see tests/test_debugging.py)."""
import unittest

import anyio

import harness


class BreakpointTests(unittest.TestCase):
    def test_breakpoint(self):
        secret = "swordfish"
        print("printed before the breakpoint")
        breakpoint()
        secret = secret.upper()
        print("printed after the breakpoint")
        self.assertEqual(secret, "SWORDFISH")


class AsyncBreakpointTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_async_breakpoint(self):
        secret = "swordfish"
        breakpoint()
        await anyio.sleep(0)
        self.assertEqual(secret, "swordfish")
