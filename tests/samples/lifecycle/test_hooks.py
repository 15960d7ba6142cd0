"""Every hook of harness.AsyncTestCase records itself; the last cleanup prints the whole sequence as JSON."""
import contextlib
import contextvars
import json

import harness

phase = contextvars.ContextVar("phase", default="unset")


class HookTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    def setUp(self):
        self.events = ["setUp"]
        self.addCleanup(self.print_events)  # registered first, so it runs last

    async def asyncSetUp(self):
        self.events.append("asyncSetUp")
        phase.set("set in asyncSetUp")
        self.addAsyncCleanup(self.async_cleanup, "first registered")
        self.addCleanup(self.sync_cleanup, "second registered")
        await self.enterAsyncContext(self.context())

    @contextlib.asynccontextmanager
    async def context(self):
        self.events.append("enterAsyncContext")
        yield
        self.events.append("exit async context")

    async def async_cleanup(self, label):
        self.events.append(f"async cleanup ({label}), phase={phase.get()}")

    def sync_cleanup(self, label):
        self.events.append(f"sync cleanup ({label})")

    def print_events(self):
        print(json.dumps(self.events))

    async def test_async(self):
        self.events.append(f"test_async, phase={phase.get()}")

    def test_sync(self):
        self.events.append(f"test_sync, phase={phase.get()}")

    async def asyncTearDown(self):
        self.events.append(f"asyncTearDown, phase={phase.get()}")

    def tearDown(self):
        self.events.append(f"tearDown, phase={phase.get()}")
