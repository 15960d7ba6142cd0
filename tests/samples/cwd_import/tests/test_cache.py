"""Imports `cache` from the project root: works only when the current directory is on sys.path."""
import unittest

from cache import Cache


class CacheTests(unittest.TestCase):
    def test_stores(self):
        cache = Cache()
        cache["a"] = 1
        self.assertEqual(cache["a"], 1)

    def test_fails_so_the_rerun_line_is_printed(self):
        self.assertEqual(Cache(), {"a": 1})
