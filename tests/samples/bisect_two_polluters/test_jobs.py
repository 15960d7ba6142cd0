"""Twelve tests; two of them leave state behind that breaks test_batches_are_large only when both ran.

test_enables_beta sets APP_BETA in os.environ; test_lowers_the_limit lowers limits.MAX_BATCH. The beta
code path honours the limit, the default one does not, so only the two together make batches small.
test_always_broken fails whatever runs before it.
"""
import os
import unittest

import limits


def batch_size():
    if os.environ.get("APP_BETA") == "1":
        return limits.MAX_BATCH
    return 20


class JobTests(unittest.TestCase):
    def test_enables_beta(self):
        os.environ["APP_BETA"] = "1"
        self.assertEqual(batch_size(), limits.MAX_BATCH)

    def test_lowers_the_limit(self):
        limits.MAX_BATCH = 2
        self.assertEqual(limits.MAX_BATCH, 2)

    def test_batches_are_large(self):
        self.assertGreaterEqual(batch_size(), 10)

    def test_always_broken(self):
        self.assertEqual(1 + 1, 3)


def _make(number):
    def test(self):
        self.assertGreaterEqual(number, 0)

    return test


for _number in range(8):
    setattr(JobTests, f"test_filler_{_number}", _make(_number))
