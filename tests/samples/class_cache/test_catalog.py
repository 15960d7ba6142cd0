"""A class's own lazy cache, filled from None by its classmethod, is not the test's state: no finding. A class
attribute a test sets from outside (a fake session left behind) is still reported and put back."""
import unittest

from catalog import Catalog, Client


class CatalogTests(unittest.TestCase):
    def test_apple(self):
        self.assertEqual(Catalog.items()["apple"], 1)

    def test_pear(self):
        self.assertEqual(Catalog.items()["pear"], 2)


class ClientTests(unittest.TestCase):
    def test_leaves_a_fake_session(self):
        Client.session = "fake"

    def test_has_no_session(self):
        self.assertIsNone(Client.session)
