"""A worker keeps nothing of a finished test alive: its gc-tracked objects stay flat over a run."""
from __future__ import annotations

import os
import tempfile
import unittest

from tests.support import start

TESTS = 211
SKIPPED = 30  # they write no count: setUp does not run
HELD = 200  # what each sample test keeps on its instance (tests/samples/retention)


def _counts(path: str) -> dict[str, list[int]]:
    """The objects the gc tracked before each test, per worker process, in the order the tests ran."""
    counts: dict[str, list[int]] = {}
    with open(path) as lines:
        for line in lines:
            pid, count = line.split()
            counts.setdefault(pid, []).append(int(count))
    return counts


class RetentionTests(unittest.TestCase):
    def _run(self, *args: str) -> dict[str, list[int]]:
        with tempfile.TemporaryDirectory(prefix="harness-retention-") as folder:
            out = os.path.join(folder, "counts.txt")
            result = start("retention", "--seed", "3", "--bucket", "class", *args, env={"RETENTION_OUT": out},
                           fresh=True).result()
            self.assertEqual(result.code, 0, result.describe())
            self.assertEqual(result.lines()[-1], f"{TESTS - SKIPPED} passed, 0 failed, {SKIPPED} skipped")
            return _counts(out)

    def _assert_flat(self, counts: dict[str, list[int]]) -> None:
        for pid, seen in counts.items():
            # a worker that kept each test would hold HELD more objects after every one: 30,000+ over the run
            self.assertLess(seen[-1] - seen[0], 5 * HELD, f"worker {pid}: {seen[0]} objects, then {seen[-1]}")

    def test_a_worker_frees_each_test_once_it_has_run(self):
        counts = self._run()
        self.assertEqual(sum(map(len, counts.values())), TESTS - SKIPPED)
        self._assert_flat(counts)

    def test_each_worker_of_a_parallel_run_frees_its_tests(self):
        counts = self._run("-j", "2")
        self.assertEqual(len(counts), 2, counts.keys())
        self._assert_flat(counts)
