"""Tests whose names come from `random` as the module is imported: the seed makes them the same in every worker."""
import random
import unittest


class Made(unittest.TestCase):
    pass


for _ in range(3):
    setattr(Made, f"test_{random.randrange(10**9)}", lambda self: None)
