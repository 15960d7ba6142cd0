"""Two tests that never finish: a sync one that blocks, an async one that awaits an event nobody sets."""
import asyncio
import threading
import unittest

import harness


class SyncHangTests(unittest.TestCase):
    timeout = 0.5  # seconds; the default limit is 300

    def test_waits_for_a_reply(self):
        reply = threading.Event()
        reply.wait()  # nobody sets it: blocks the process


class AsyncHangTests(harness.AsyncTestCase):
    @harness.timeout(0.5)
    async def test_waits_for_shutdown(self):
        shutdown = asyncio.Event()
        await shutdown.wait()  # nobody sets it: waits forever
