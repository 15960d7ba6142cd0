"""The polluter: a test that changes a module attribute and never puts it back."""
import unittest

import shop


class ExportTests(unittest.TestCase):
    def test_export_for_us_customers(self):
        shop.CURRENCY = "USD"  # changed for this test, never put back
        self.assertEqual(shop.price_label(100), "1.00 USD")

    def test_export_is_not_empty(self):
        self.assertTrue(shop.price_label(1))
