"""test_sends_a_first_beat connects a client and never closes it: its heartbeat task is still running."""
import asyncio

import harness
from heartbeat import Client


class ClientTests(harness.AsyncTestCase):
    async def test_sends_a_first_beat(self):
        client = Client()
        await client.connect()  # the leak: nothing closes this client
        await asyncio.sleep(0)
        self.assertEqual(client.beats, 1)

    async def test_close_stops_the_heartbeat(self):
        client = Client()
        await client.connect()
        await client.close()
        self.assertTrue(client._heartbeat.cancelled())
