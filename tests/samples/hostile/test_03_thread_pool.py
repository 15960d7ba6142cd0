"""concurrent.futures.ThreadPoolExecutor replaced by a function, after the loop made its default executor."""
import asyncio
import concurrent.futures

import harness

REAL = concurrent.futures.ThreadPoolExecutor


def no_pools(*args, **kwargs):
    raise RuntimeError("ThreadPoolExecutor is patched by a hostile test")


class HostileTests(harness.AsyncTestCase):
    async def test_patches_the_thread_pool(self):
        await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2])  # teardown shuts this executor down
        concurrent.futures.ThreadPoolExecutor = no_pools


class InnocentTests(harness.AsyncTestCase):
    async def test_runs_in_the_executor(self):
        self.assertIs(concurrent.futures.ThreadPoolExecutor, REAL)
        self.assertEqual(await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2]), 3)
