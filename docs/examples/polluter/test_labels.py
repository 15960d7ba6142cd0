"""The victim: passes alone, fails after test_export_for_us_customers has changed shop.CURRENCY."""
import unittest

import shop


class LabelTests(unittest.TestCase):
    def test_label_in_euros(self):
        self.assertEqual(shop.price_label(250), "2.50 EUR")

    def test_label_has_two_decimals(self):
        self.assertTrue(shop.price_label(5).startswith("0.05 "))

    def test_label_of_a_large_price(self):
        self.assertTrue(shop.price_label(123_456).startswith("1234.56 "))
