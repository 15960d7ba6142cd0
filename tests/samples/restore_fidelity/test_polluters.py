"""Polluters whose change the next tests can see, beside the victims that would see it if it were not put back."""
import asyncio
import importlib
import logging
import os
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import mylib
import reloadable

ZONES = {os.environ.get("TZ"): time.tzname, "EST5EDT": ("EST", "EDT")}


def drop_everything(record):
    return False


class Polluters(unittest.TestCase):
    def test_time_zone(self):
        os.environ["TZ"] = "EST5EDT"
        time.tzset()

    def test_logging_filter(self):
        logging.getLogger("app").addFilter(drop_everything)

    def test_switch(self):
        mylib.use_x()

    def test_plugin(self):
        mylib.register_plugin()


class Victims(unittest.TestCase):
    def test_time_zone_agrees_with_tz(self):
        self.assertEqual(time.tzname, ZONES[os.environ.get("TZ")])

    def test_app_logs(self):
        with self.assertLogs("app") as logs:
            logging.getLogger("app").warning("hello")
        self.assertEqual(len(logs.records), 1)

    def test_switch_is_off(self):
        self.assertFalse(mylib.uses_x())

    def test_no_plugin(self):
        self.assertFalse(hasattr(mylib, "_plugin"))


class Quiet(unittest.TestCase):
    """Changes the interpreter or a library makes by design: none is a finding."""

    def test_lazy_cache(self):
        self.assertIs(mylib.cached(), mylib.cached())

    def test_client_used_and_shut_down(self):  # the next test makes a new client, as it would under unittest
        self.assertFalse(mylib.client().closed)
        mylib.shutdown()

    def test_client_open(self):
        self.assertFalse(mylib.client().closed)

    def test_warning_registry(self):
        mylib.old_api()
        with self.assertWarns(UserWarning):  # empties the warnings registry of every module
            mylib.old_api()

    def test_reload(self):
        importlib.reload(reloadable)

    def test_fresh_default_policy(self):  # as test bases do to start clean
        asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())

    def test_executor_shut_down(self):
        executor = ThreadPoolExecutor(thread_name_prefix="asyncio")
        executor.submit(time.sleep, 0.2)  # its thread leaves once this is done
        executor.shutdown(wait=False)

    def test_own_loop_closed(self):  # a test base that makes and closes its own loop
        loop = asyncio.new_event_loop()
        loop.run_until_complete(loop.run_in_executor(None, time.sleep, 0))
        loop.close()  # its default executor's thread leaves a moment later
