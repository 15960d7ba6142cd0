"""Tests that make uvloop loops themselves, not through harness's backend, and import uvloop only when they run:
the first loop of the process opens libuv's own pipe, which stays open; harness makes that first loop before the
tests, so no test is blamed."""
import asyncio
import unittest


class UsesUvloopDirectly(unittest.TestCase):
    def test_runs_a_uvloop_loop(self):
        import uvloop

        loop = uvloop.new_event_loop()
        try:
            loop.run_until_complete(asyncio.sleep(0))
        finally:
            loop.close()

    def test_uvloop_run(self):
        import uvloop

        uvloop.run(asyncio.sleep(0))
