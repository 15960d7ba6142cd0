"""Classes with loop_scope = "class": each test prints its events and the id of the loop it ran on, as JSON."""
import asyncio
import importlib.util
import json

import anyio
import trio

import harness

_kept = []  # every loop seen stays referenced, so that no two loops of the run share an id


def loop_id():
    """The running asyncio loop, or the trio run (its root task), as an id."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = trio.lowlevel.current_root_task()
    _kept.append(loop)
    return id(loop)


class Recorded(harness.AsyncTestCase):
    """Every hook appends to `events`; each test prints the events since the class started, and its loop's id."""

    loop_scope = "class"
    events: list

    @classmethod
    def setUpClass(cls):
        cls.events = ["setUpClass"]

    @classmethod
    async def asyncSetUpClass(cls):
        cls.events.append("asyncSetUpClass")
        cls.send, cls.receive = anyio.create_memory_object_stream(100)
        cls.stop, cls.stopped = anyio.Event(), anyio.Event()
        await cls.class_task_group.start(cls.serve)  # a task of the class: never reported on a test

    @classmethod
    async def serve(cls, task_status=anyio.TASK_STATUS_IGNORED):
        task_status.started()
        await cls.stop.wait()
        cls.stopped.set()

    def setUp(self):
        self.events.append("setUp")
        self.addCleanup(self.events.append, "cleanup")

    async def asyncSetUp(self):
        self.events.append("asyncSetUp")

    async def asyncTearDown(self):
        self.events.append("asyncTearDown")

    def tearDown(self):
        self.events.append("tearDown")

    @classmethod
    async def asyncTearDownClass(cls):
        cls.events.append("asyncTearDownClass")
        cls.stop.set()
        await cls.stopped.wait()  # the class's task ends before the class's check
        print(json.dumps({"class": cls.__name__, "events": cls.events}))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.events.append("tearDownClass")

    async def check(self, number):
        self.events.append(f"test {number}")
        await self.send.send(number)  # the stream made in asyncSetUpClass works from every test
        print(json.dumps({"loop": loop_id(), "events": self.events, "received": self.receive.receive_nowait()}))


class AsyncioShared(Recorded):
    backend = "asyncio"

    async def test_one(self):
        await self.check(1)

    async def test_two(self):
        await self.check(2)

    async def test_three(self):
        await self.check(3)


class AsyncioOther(Recorded):
    backend = "asyncio"

    async def test_one(self):
        await self.check(1)


class TrioShared(Recorded):
    backend = "trio"

    async def test_one(self):
        await self.check(1)

    async def test_two(self):
        await self.check(2)

    async def test_three(self):
        await self.check(3)


class TrioOther(Recorded):
    backend = "trio"

    async def test_one(self):
        await self.check(1)


if importlib.util.find_spec("uvloop"):
    class UvloopShared(Recorded):
        backend = "asyncio+uvloop"

        async def test_one(self):
            await self.check(1)

        async def test_two(self):
            await self.check(2)


class FannedOut(Recorded):
    backends = ("asyncio", "trio")

    async def test_one(self):
        await self.check(1)

    async def test_two(self):
        await self.check(2)
