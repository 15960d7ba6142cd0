"""The test changes to a directory, then deletes it: the working directory no longer exists."""
import asyncio
import os
import shutil
import tempfile

import harness

HOME = os.getcwd()


def strand() -> None:
    folder = tempfile.mkdtemp(prefix="hostile-cwd-")
    os.chdir(folder)
    shutil.rmtree(folder)


class HostileTests(harness.TestCase):
    def test_deletes_its_working_directory(self):
        strand()


class InnocentTests(harness.TestCase):
    def test_has_a_working_directory(self):
        self.assertEqual(os.getcwd(), HOME)


class LoopHostileTests(harness.AsyncTestCase):
    async def test_fails_in_a_deleted_directory_leaving_a_task(self):
        asyncio.get_running_loop().create_task(asyncio.Event().wait(), name="stranded")
        strand()
        self.fail("a failure reported from a directory that no longer exists")


class LoopInnocentTests(harness.AsyncTestCase):
    async def test_has_a_working_directory(self):
        self.assertEqual(os.getcwd(), HOME)
