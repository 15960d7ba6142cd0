"""One test of each outcome plain unittest prints with -v, for bench/compat.py's parser and comparison."""
import asyncio
import sys
import unittest


class Outcomes(unittest.TestCase):
    def test_passes(self):
        self.assertEqual(1 + 1, 2)

    def test_documented(self):
        """A docstring, whose first line unittest -v prints before the status."""

    def test_prints_without_newline(self):
        sys.stderr.write("a line the test wrote")
        sys.stderr.flush()

    def test_fails(self):
        self.assertEqual(1 + 1, 3)

    def test_errors(self):
        raise RuntimeError("boom")

    @unittest.skip("not today")
    def test_skipped(self):
        pass

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_unexpected_success(self):
        pass

    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 2)


class AsyncOutcomes(unittest.IsolatedAsyncioTestCase):
    async def test_sleeps(self):
        await asyncio.sleep(0)


class BrokenFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise OSError("database is down")

    def test_never_runs(self):
        pass
