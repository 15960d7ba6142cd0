"""A test that expects a fresh application: no reindex pending."""
import unittest

import journal


class IndexTests(unittest.TestCase):
    def test_no_reindex_is_pending(self):
        self.assertFalse(journal.needs_reindex(), f"events so far: {len(journal.EVENTS)}")
