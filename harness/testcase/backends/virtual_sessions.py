"""Sessions on the virtual clock: asyncio on a loop whose time jumps (clocks.py), trio on its own MockClock."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from harness.testcase.backends.asyncio_session import AsyncioSession, Timer
from harness.testcase.backends.session import Teardown
from harness.testcase.backends.trio_session import TrioSession
from harness.testcase.clocks import Clock, VirtualClockLoop

__unittest = True  # unittest leaves this module's frames out of a test's traceback


class VirtualAsyncioSession(AsyncioSession):
    """An asyncio session on `VirtualClockLoop`: idle time jumps, the time limit keeps counting wall time."""

    loop: VirtualClockLoop

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        return VirtualClockLoop()

    def _wall_later(self, seconds: float, callback: Callable[..., object], *args: Any) -> Timer:
        return self.loop.call_wall_later(seconds, callback, *args)

    def clock(self, test: str) -> Clock:
        return Clock(self.loop.time, self.loop.virtual_time.advance, test)

    def close(self, bound: float) -> Teardown:
        # The teardown bounds are wall-clock seconds: from here time follows the wall clock instead of jumping,
        # so a leftover task's cleanup (or the executor's shutdown) gets its bound in real time.
        self.loop.virtual_time.following = True
        return super().close(bound)


class VirtualTrioSession(TrioSession):
    """A trio session on `trio.testing.MockClock(autojump_threshold=0)`: trio's own virtual time."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        from trio.testing import MockClock

        self.mock_clock = MockClock(autojump_threshold=0)
        self.options = {**options, "clock": self.mock_clock}  # start_guest_run takes it with the run's other options

    def clock(self, test: str) -> Clock:
        return Clock(self.mock_clock.current_time, self.mock_clock.jump, test)
