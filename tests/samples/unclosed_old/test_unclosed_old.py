"""Resources left in a reference cycle that a full collection during the test moved to the oldest generation: only
a full collection at the end of the test finds them, and the test that left them is named."""
import gc
import os
import socket
import subprocess
import sys

import harness


class SocketHolder:
    def __init__(self):
        self.me = self  # a reference cycle: only a collection frees it
        self.sock = socket.socket()


class ProcessHolder:
    def __init__(self):
        self.me = self
        self.process = subprocess.Popen([sys.executable, "-c", ""])
        # Wait for it to exit without reaping it: Popen still takes it for running (it never polled), holds no
        # descriptor of it, and warns when it is collected; the processes probe sees no running child.
        os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOWAIT)


class OldCycles(harness.AsyncTestCase):
    async def test_leaves_a_socket_in_an_old_cycle(self):
        holder = SocketHolder()
        gc.collect()  # the holder survives it, into the oldest generation
        del holder

    async def test_leaves_a_process_in_an_old_cycle(self):
        holder = ProcessHolder()
        gc.collect()
        del holder

    async def test_closes_its_socket_after_a_full_collection(self):
        with socket.socket():
            gc.collect()

    async def test_opens_nothing(self):
        self.assertTrue(gc.isenabled())
