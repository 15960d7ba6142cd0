"""A class's own lazy cache, filled from None by its classmethod, is not the test's state: no finding; nor are the
counters the code moves on as it is used. A class attribute a test sets from outside (a fake session left behind),
and a counter a test sets back, are still reported and put back."""
import unittest

import catalog
from catalog import Catalog, Client, Connection, Logger


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


class CounterTests(unittest.TestCase):
    def test_opens_connections(self):
        first, second = Connection(), Connection()
        self.assertEqual(second.number, first.number + 1)

    def test_makes_requests(self):
        self.assertGreater(catalog.request(), 0)

    def test_sets_the_counter_back(self):
        Connection()
        Connection.next_conn = 0

    def test_raises_the_log_level(self):
        Logger.set_level(2)
