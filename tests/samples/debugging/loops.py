"""Whether the loop a test runs on is still open, asked from the debugger: `p loop.is_open()`."""
import asyncio


class Loop:
    """The running asyncio loop (uvloop's too) or trio run of the test that made it."""

    def __init__(self):
        try:
            self.loop, self.token = asyncio.get_running_loop(), None
        except RuntimeError:  # not on asyncio: on trio
            import trio

            self.loop, self.token = None, trio.lowlevel.current_trio_token()

    def is_open(self):
        if self.loop is not None:
            return not self.loop.is_closed()
        import trio

        try:
            self.token.run_sync_soon(lambda: None)
        except trio.RunFinishedError:
            return False
        return True
