"""A quick test, then one that signals it has started (a marker file) and waits to be interrupted."""
import asyncio
import os
import time
import unittest

import harness


class AQuickTests(unittest.TestCase):
    def test_quick(self):
        pass


def _mark_started() -> None:
    marker = os.environ.get("HARNESS_SAMPLE_MARKER")
    if marker:
        with open(marker, "w") as file:
            file.write("started")


class BSlowTests(unittest.TestCase):
    def test_sleeps_sync(self):
        _mark_started()
        time.sleep(30)


class CSlowAsyncTests(harness.AsyncTestCase):
    async def test_sleeps_async(self):
        _mark_started()
        await asyncio.sleep(30)


class DSlowTrioTests(harness.AsyncTestCase):
    backend = "trio"

    async def test_sleeps_trio(self):
        import trio

        _mark_started()
        await trio.sleep(30)
