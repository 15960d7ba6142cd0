"""A client that sends a heartbeat every few seconds from a background task."""
import asyncio


class Client:
    def __init__(self):
        self.beats = 0
        self._heartbeat = None

    async def connect(self):
        self._heartbeat = asyncio.create_task(self._beat_forever(), name="heartbeat")

    async def _beat_forever(self):
        while True:
            self.beats += 1
            await asyncio.sleep(5)

    async def close(self):
        self._heartbeat.cancel()
        try:
            await self._heartbeat
        except asyncio.CancelledError:
            pass
