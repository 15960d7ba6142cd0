"""A connection pool whose connections belong to the event loop that opened them."""
import asyncio


class Connection:
    def __init__(self):
        self._lock = asyncio.Lock()
        self._replies = asyncio.Queue()

    async def query(self, sql):
        async with self._lock:
            asyncio.get_running_loop().call_soon(self._replies.put_nowait, f"result of {sql!r}")
            return await self._replies.get()


_pool = []


async def get_connection():
    """The bug: a connection cached at module level outlives the loop it was made on."""
    if not _pool:
        _pool.append(Connection())
    return _pool[0]
