"""A library client as real ones are written: slotted, raising its own errors over asyncio's (no database needed)."""
import asyncio

import harness

_cached = {}


class InterfaceError(Exception):
    pass


class Connection:
    __slots__ = ("_loop", "_reply")

    def __init__(self):
        self._loop = asyncio.get_running_loop()
        self._reply = self._loop.create_future()

    async def query(self):
        if asyncio.get_running_loop() is not self._loop:  # the library's own check, in its own words
            raise InterfaceError("cannot perform operation: another operation is in progress")
        return "ok"


class Pool:
    __slots__ = ("_connection",)

    def __init__(self, connection):
        self._connection = connection

    async def fetch(self):
        return await self._connection.query()


class ClientTests(harness.AsyncTestCase):
    async def test_a_connect(self):
        _cached["connection"] = Connection()

    async def test_b_query_on_a_cached_connection(self):
        await _cached["connection"].query()

    async def test_c_query_through_a_slotted_pool(self):
        await Pool(_cached["connection"]).fetch()

    async def test_d_library_error_raised_from_a_loop_error(self):
        try:
            raise RuntimeError("Task got Future <Future pending> attached to a different loop")
        except RuntimeError as exc:
            raise InterfaceError("cannot perform operation: another operation is in progress") from exc

    async def test_e_loop_error_in_a_group(self):
        raise ExceptionGroup("query failed", [RuntimeError("Event loop is closed")])

    async def test_f_plain_failure(self):
        connection = Connection()  # on this test's own loop
        self.assertEqual(await connection.query(), "not ok")

    async def test_g_unrelated_error(self):
        raise InterfaceError("cannot perform operation: another operation is in progress")
