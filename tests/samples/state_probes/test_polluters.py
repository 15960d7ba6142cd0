"""One test per kind of global state a test can change and not put back, and clean neighbours that change nothing."""
import asyncio
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import warnings
from unittest import mock

import helper_mod  # noqa: F401 (test_sys_modules removes it from sys.modules)

import harness


class Registry:
    backend = "memory"


def fake_dumps(obj, **kwargs):
    return "{}"


def on_usr1(signum, frame):
    pass


def custom_hook(*args):
    pass


class UvloopLikePolicy(asyncio.DefaultEventLoopPolicy):
    pass


class PollutingTests(unittest.TestCase):
    def test_environ(self):
        os.environ["APP_MODE"] = "debug"

    def test_cwd(self):
        os.chdir(tempfile.gettempdir())

    def test_sys_path(self):
        sys.path.append("/nowhere")

    def test_sys_modules(self):
        del sys.modules["helper_mod"]

    def test_module_attribute(self):
        json.dumps = fake_dumps

    def test_class_attribute(self):
        Registry.backend = "redis"

    def test_mock_patcher(self):
        mock.patch("os.getpid", return_value=1).start()

    def test_stdout(self):
        sys.stdout = io.StringIO()

    def test_excepthook(self):
        sys.excepthook = custom_hook

    def test_signal(self):
        signal.signal(signal.SIGUSR1, on_usr1)

    def test_logging(self):
        logging.getLogger("app").setLevel(logging.DEBUG)

    def test_warnings(self):
        warnings.simplefilter("ignore", DeprecationWarning)

    def test_asyncio_policy(self):
        asyncio.set_event_loop_policy(UvloopLikePolicy())

    def test_socket_timeout(self):
        socket.setdefaulttimeout(5.0)

    def test_recursion_limit(self):
        sys.setrecursionlimit(5000)

    def test_thread(self):
        stop = threading.Event()
        threading.Thread(target=stop.wait, args=(2,), name="poller", daemon=True).start()

    def test_process(self):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])

    def test_file(self):
        self.handle = open(__file__)  # noqa: SIM115

    def test_duplicated_descriptor(self):
        self.kept = os.dup(1)  # no audit event: seen because the number of open descriptors moved

    def test_working_file(self):
        with open(f"leftover-{os.getpid()}.txt", "w") as file:  # the e2e test removes it afterwards
            file.write("left behind")


class CleanTests(unittest.TestCase):
    def test_scratch_file_removed_again(self):
        with open(f"scratch-{os.getpid()}.txt", "w") as file:
            file.write("gone again before the test ends")
        os.remove(file.name)

    def test_unix_socket_file_removed_again(self):  # as asyncio's tests do: bind makes the file, os.remove takes it
        path = f"sock-{os.getpid()}.sock"
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path)
        os.remove(path)

    def test_sync(self):
        with mock.patch("os.getpid", return_value=1):
            self.assertEqual(os.getpid(), 1)
        os.environ.get("HOME")
        print("some output")


class CleanStdlibAsyncTests(unittest.IsolatedAsyncioTestCase):
    async def test_async(self):
        await asyncio.sleep(0)


class CleanAsyncTests(harness.AsyncTestCase):
    backends = ("asyncio", "trio")

    async def test_async(self):
        import anyio

        await anyio.sleep(0)
        with open(__file__) as file:
            file.read(1)
