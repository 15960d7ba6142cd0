"""A failure in a helper, an error with a message GitHub must escape, a leftover task, a state change."""
import asyncio
import os
import unittest

import harness


def helper_that_fails(case):
    case.assertEqual("50%", "a, b: c")  # the failure's innermost frame in this file


class AnnotatedTests(unittest.TestCase):
    def test_fails_in_a_helper(self):
        helper_that_fails(self)

    def test_errors_with_a_long_message(self):
        raise ValueError("100% wrong\nsecond line")

    def test_changes_the_environment(self):
        os.environ["SAMPLE_ANNOTATED"] = "1"

    def test_passes(self):
        pass


class LeakyTests(harness.AsyncTestCase):
    async def test_leaves_a_task(self):
        asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="left")  # the task's creation site
        await asyncio.sleep(0)


class BrokenFixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("fixture broke")  # a class fixture's failure

    def test_never_runs(self):
        pass
