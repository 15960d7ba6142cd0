"""Threads and descriptors on their way out when a test ends (websockets' sync tests): a server a fixture runs in a
thread closes its side of the test's connection a moment after the test closed its own, and a thread the test
started ends a moment after its cleanup tells it to. Neither is left behind. A thread that keeps running is."""
import asyncio
import concurrent.futures
import os
import socket
import threading
import time
import unittest

_stops: list[threading.Event] = []  # the threads left running, stopped when the module's tests are over


class OnTheirWayOutTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.listener = socket.create_server(("127.0.0.1", 0))
        cls.server = threading.Thread(target=cls.serve, name="fixture-server", daemon=True)
        cls.server.start()

    @classmethod
    def serve(cls):
        while True:
            try:
                connection, _ = cls.listener.accept()
            except OSError:
                return
            connection.recv(1)  # b"" once the client has closed its side
            time.sleep(0.02)
            connection.close()

    @classmethod
    def tearDownClass(cls):
        cls.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        cls.listener.close()
        cls.server.join()

    def test_connects_and_closes(self):
        client = socket.create_connection(self.listener.getsockname())
        client.close()

    def test_starts_a_thread_its_cleanup_stops(self):
        done = threading.Event()

        def worker():
            done.wait()
            time.sleep(0.02)

        thread = threading.Thread(target=worker, name="stopped-by-cleanup")
        thread.start()
        self.addCleanup(done.set)

    def test_leaves_a_thread_running(self):
        stop = threading.Event()
        _stops.append(stop)
        threading.Thread(target=stop.wait, name="left-running", daemon=True).start()


def tearDownModule():
    for stop in _stops:
        stop.set()
    for executor in _executors:
        executor.shutdown()


class ClassLoopTests(unittest.TestCase):
    """A loop kept for the whole class (asyncpg's test base): its default executor's idle workers are its pool, kept
    until the loop closes, not the doing of the test that first used it. An executor a test makes and never shuts
    down is the test's."""

    @classmethod
    def setUpClass(cls):
        cls.loop = asyncio.new_event_loop()

    @classmethod
    def tearDownClass(cls):
        cls.loop.close()

    def test_reads_a_file_in_the_loops_executor(self):
        self.loop.run_until_complete(self.loop.run_in_executor(None, os.getcwd))

    def test_leaves_its_own_executor(self):
        executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="left-pool")
        _executors.append(executor)
        executor.submit(os.getcwd).result()


_executors: list[concurrent.futures.ThreadPoolExecutor] = []
