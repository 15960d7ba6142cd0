"""A quick test, then slow ones that say they have started (a marker file) and wait to be interrupted.

The slow tests sleep until the file HARNESS_SAMPLE_RELEASE appears, or 30 s; their teardown writes
HARNESS_SAMPLE_TORN_DOWN, so a run can check that it ran. ZLastTests must never run once a run is stopped.
"""
import asyncio
import os
import time
import unittest

import harness

LONGEST = 30.0


def _released(started: float) -> bool:
    release = os.environ.get("HARNESS_SAMPLE_RELEASE")
    return bool(release and os.path.exists(release)) or time.monotonic() - started > LONGEST


class AQuickTests(unittest.TestCase):
    def test_quick(self):
        pass


def _mark(variable: str) -> None:
    path = os.environ.get(variable)
    if path:
        with open(path, "a") as file:
            file.write("x")


class BSlowTests(unittest.TestCase):
    def test_sleeps_sync(self):
        _mark("HARNESS_SAMPLE_MARKER")
        started = time.monotonic()
        while not _released(started):
            time.sleep(0.02)

    def tearDown(self):
        _mark("HARNESS_SAMPLE_TORN_DOWN")


class CSlowAsyncTests(harness.AsyncTestCase):
    async def test_sleeps_async(self):
        _mark("HARNESS_SAMPLE_MARKER")
        started = time.monotonic()
        while not _released(started):
            await asyncio.sleep(0.02)

    async def asyncTearDown(self):
        _mark("HARNESS_SAMPLE_TORN_DOWN")


class DSlowTrioTests(harness.AsyncTestCase):
    backend = "trio"

    async def test_sleeps_trio(self):
        import trio

        _mark("HARNESS_SAMPLE_MARKER")
        started = time.monotonic()
        while not _released(started):
            await trio.sleep(0.02)

    async def asyncTearDown(self):
        _mark("HARNESS_SAMPLE_TORN_DOWN")


class ERaisesKeyboardInterruptTests(unittest.TestCase):
    def test_raises_it(self):
        raise KeyboardInterrupt


class ZLastTests(unittest.TestCase):
    def test_never_runs_after_a_stop(self):
        pass
