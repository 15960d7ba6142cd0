"""Each test checks that its loop is new and works fully, whatever the tests before it did to theirs."""
import asyncio
import os
import signal
import socket
import threading

import harness

SEEN = []  # every loop the tests ran on, in order


class LoopTests(harness.AsyncTestCase):
    async def asyncSetUp(self):
        loop = asyncio.get_running_loop()
        self.assertFalse(any(loop is old for old in SEEN), "a loop object was handed to two tests")
        self.assertTrue(all(old.is_closed() for old in SEEN), "an earlier test's loop is still open")
        SEEN.append(loop)

    async def test_wakes_up_from_another_thread(self):
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        waker = threading.Thread(target=loop.call_soon_threadsafe, args=(done.set,))
        waker.start()
        await asyncio.wait_for(done.wait(), 5)
        waker.join()

    async def test_runs_a_signal_handler(self):
        loop = asyncio.get_running_loop()
        got = asyncio.Event()
        loop.add_signal_handler(signal.SIGWINCH, got.set)
        try:
            os.kill(os.getpid(), signal.SIGWINCH)
            await asyncio.wait_for(got.wait(), 5)
        finally:
            loop.remove_signal_handler(signal.SIGWINCH)

    async def test_leaves_a_server_listening(self):
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        self.addCleanup(lambda: None)  # the server is never closed: its socket stays registered on this loop
        self.assertTrue(server.is_serving())

    async def test_talks_over_a_socket(self):
        server = await asyncio.start_server(self._echo, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"ping\n")
            self.assertEqual(await reader.readline(), b"ping\n")
            writer.close()
            await writer.wait_closed()

    async def test_reads_a_socket_pair(self):
        left, right = socket.socketpair()
        with left, right:
            left.setblocking(False)
            right.sendall(b"x")
            self.assertEqual(await asyncio.get_running_loop().sock_recv(left, 1), b"x")

    async def test_runs_in_the_default_executor(self):
        self.assertEqual(await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2]), 3)

    async def test_sleeps(self):
        await asyncio.sleep(0.001)

    @staticmethod
    async def _echo(reader, writer):
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
