"""No code here names the task group attribute, so harness runs these tests without one (and without anyio)."""
import asyncio
import sys

import harness

TASK_GROUP = "task" + "_group"  # built at run time: harness cannot see it in the bytecode


class Plain(harness.AsyncTestCase):
    async def test_runs_without_importing_anyio(self):
        self.assertNotIn("anyio", sys.modules)

    async def test_leaves_a_task_running(self):
        asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="left-behind")

    async def test_reaches_the_group_by_a_built_name(self):
        getattr(self, TASK_GROUP)


class Opened(harness.AsyncTestCase):
    backends = ("asyncio", "trio")
    open_task_group = True

    async def test_reaches_the_group_by_a_built_name(self):
        import anyio

        done = anyio.Event()

        async def finish():
            done.set()

        getattr(self, TASK_GROUP).start_soon(finish)
        with anyio.fail_after(5):
            await done.wait()
