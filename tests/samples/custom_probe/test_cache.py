"""One test fills the cache and leaves it filled; the other needs it empty."""
import unittest

import counting_probe


class CacheTests(unittest.TestCase):
    def test_a_fills_the_cache(self):
        counting_probe.CACHE["user:1"] = "alice"

    def test_b_needs_an_empty_cache(self):
        self.assertEqual(counting_probe.CACHE, {})
