"""Resources left for the garbage collector, on every kind of test case, beside tests that close theirs."""
import asyncio
import os
import socket
import unittest
import warnings

import harness

HERE = os.path.dirname(os.path.abspath(__file__))


class PlainTests(unittest.TestCase):
    def test_leaves_a_file_open(self):
        handle = open(os.path.join(HERE, "test_unclosed.py"))  # noqa: SIM115
        self.assertTrue(handle.readline())

    def test_closes_its_file(self):
        with open(os.path.join(HERE, "test_unclosed.py")) as handle:
            self.assertTrue(handle.readline())

    def test_asserts_the_warning_itself(self):
        with self.assertWarns(ResourceWarning):
            sock = socket.socket()
            del sock

    def test_ignores_resource_warnings_itself(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            sock = socket.socket()
            del sock


class Holder:
    def __init__(self):
        self.me = self  # a reference cycle: only a collection frees it
        self.sock = socket.socket()


class AsyncTests(harness.AsyncTestCase):
    async def test_leaves_a_socket_in_a_cycle(self):
        Holder()

    async def test_leaves_an_event_loop_open(self):
        loop = asyncio.new_event_loop()
        self.assertFalse(loop.is_closed())

    async def test_closes_its_socket(self):
        with socket.socket():
            pass


class StdlibTests(unittest.IsolatedAsyncioTestCase):
    async def test_leaves_a_socket_pair_open(self):
        left, right = socket.socketpair()
        self.assertNotEqual(left.fileno(), right.fileno())
