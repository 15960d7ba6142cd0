"""Test clocks: `clock = "virtual"`, `@harness.virtual_clock`, `self.clock`, and the asyncio loop whose time jumps.

On the virtual clock an asyncio loop reads `VirtualTime` instead of `time.monotonic`, and when nothing is
runnable (no ready callback, and a zero-timeout select finds no I/O) it moves that time to its next timer
instead of waiting for it. The harness's own deadlines (the per-test time limit) are *wall* timers kept
apart from the loop's timers, so a jump never reaches them. trio gets the same from its own
`trio.testing.MockClock(autojump_threshold=0)`; see backends/virtual_sessions.py.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import selectors
import unittest
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, overload

from harness.testcase import timeouts

__unittest = True  # unittest leaves this module's frames out of a test's traceback

ClockName = Literal["real", "virtual"]
CLOCKS: tuple[ClockName, ...] = ("real", "virtual")
F = TypeVar("F", bound=Callable[..., object])

_MARK = "harness_clock"  # the attribute @virtual_clock sets on a test method


# -- choosing the clock ------------------------------------------------------------------------------------
def check(value: object, owner: str) -> ClockName:
    """`value` as a clock name, or a ValueError naming `owner` and the choices."""
    if value not in CLOCKS:
        hint = "" if isinstance(value, str) else " (the `clock` attribute names the test's clock: rename yours)"
        raise ValueError(f"unknown clock {value!r} in {owner}; choose one of: {', '.join(map(repr, CLOCKS))}{hint}")
    return value  # type: ignore[return-value]


class ClockSetting:
    """The `clock` attribute of an AsyncTestCase: its name on the class, `self.clock` (a Clock) on a test.

    Not a data descriptor: a test that sets `self.clock` to a clock of its own keeps it.
    """

    def __init__(self, name: ClockName) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> ClockName: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Clock: ...
    def __get__(self, instance: object, owner: type | None = None) -> ClockName | Clock:
        if instance is None:
            return self.name
        return instance._harness_clock()  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return repr(self.name)


def virtual_clock(method: F) -> F:
    """Run one test method on the virtual clock, whatever its class's `clock` says."""
    if isinstance(method, type):
        raise TypeError(
            f"@harness.virtual_clock is for test methods; for the whole class {method.__qualname__}, "
            "set `clock = \"virtual\"` in its body"
        )
    if not callable(method):
        raise TypeError("use @harness.virtual_clock without arguments, directly above the test method")
    setattr(method, _MARK, "virtual")
    return method


def find(test: unittest.TestCase) -> ClockName:
    """The clock `test` runs on: its method's @virtual_clock, else its class's `clock`."""
    method = getattr(test, getattr(test, "_testMethodName", ""), None)
    return getattr(method, _MARK, None) or getattr(type(test), "clock", "real")


# -- self.clock ----------------------------------------------------------------------------------------------
class Clock:
    """`self.clock`: the time the test's loop reads, and on the virtual clock a way to move it forward."""

    def __init__(self, read: Callable[[], float], move: Callable[[float], None] | None, test: str) -> None:
        self._read = read
        self._move = move
        self._test = test

    @property
    def virtual(self) -> bool:
        """Whether this is the virtual clock (only that one can be advanced)."""
        return self._move is not None

    def time(self) -> float:
        """The loop's time in seconds: `loop.time()` on asyncio, `trio.current_time()` on trio."""
        return self._read()

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward by `seconds`; timers that come due run at the next await."""
        if self._move is None:
            raise RuntimeError(
                f"self.clock.advance() needs the virtual clock, and {self._test} runs on the real one: "
                "set `clock = \"virtual\"` on the class, or put @harness.virtual_clock on the test method"
            )
        self._move(_forward(seconds))


def _forward(seconds: object) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"self.clock.advance(seconds) takes a number of seconds, not {seconds!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(
            f"self.clock.advance(seconds) moves time forward by a finite number of seconds from 0 up, not {seconds!r}"
        )
    return float(seconds)


# -- virtual time on asyncio -----------------------------------------------------------------------------------
class WallTimer:
    """A harness deadline on a virtual-clock loop: due by the wall clock, never reached by a jump."""

    __slots__ = ("when", "callback", "args", "cancelled")

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualTime:
    """The time a virtual-clock loop reads, and what decides whether it may jump."""

    def __init__(self) -> None:
        self.now = 0.0
        self.threads = 0  # run_in_executor calls not finished: while any runs, time follows the wall clock
        self.following = False  # set for enforced teardown, whose bounds are wall-clock seconds
        self._wall: list[tuple[float, int, WallTimer]] = []
        self._order = itertools.count()

    @property
    def jumping(self) -> bool:
        return not self.following and self.threads == 0

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def thread_done(self, _: object) -> None:
        self.threads -= 1

    def call_wall_later(self, seconds: float, callback: Callable[..., object], *args: Any) -> WallTimer:
        timer = WallTimer(timeouts.now() + seconds, callback, args)
        heapq.heappush(self._wall, (timer.when, next(self._order), timer))
        return timer

    def due(self) -> list[WallTimer]:
        """The wall timers whose time has come, taken off the heap."""
        found, wall = [], timeouts.now()
        while self._wall and (self._wall[0][2].cancelled or self._wall[0][0] <= wall):
            timer = heapq.heappop(self._wall)[2]
            if not timer.cancelled:
                found.append(timer)
        return found

    def wall_wait(self) -> float | None:
        """Seconds of wall time until the next wall timer, or None when there is none."""
        while self._wall and self._wall[0][2].cancelled:
            heapq.heappop(self._wall)
        return max(0.0, self._wall[0][0] - timeouts.now()) if self._wall else None


class JumpingSelector(selectors.BaseSelector):
    """A selector that, asked to wait `timeout` seconds with no I/O ready, moves virtual time instead.

    asyncio's loop asks its selector to wait until its next timer (`timeout`), or 0 when callbacks are ready,
    or None when it has no timer. Here a wait first polls with a zero timeout: I/O that is ready (a socket, a
    thread waking the loop) is returned as usual. Only when nothing is ready does time jump by `timeout`.
    With no timer to jump to (None), or while time follows the wall clock, it waits for real.
    """

    def __init__(self, real: selectors.BaseSelector, time: VirtualTime) -> None:
        self._real = real
        self._time = time
        self.loop: asyncio.AbstractEventLoop | None = None  # set by the loop, dropped when it closes

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        fired = self._fire_wall_timers()
        if fired or (timeout is not None and timeout <= 0):
            return self._real.select(0)
        if not self._time.jumping:
            return self._follow(timeout)
        events = self._real.select(0)
        if events:
            return events
        if timeout is None:  # no timer to jump to: wait for I/O, or for the next wall timer
            return self._real.select(self._time.wall_wait())
        self._time.advance(timeout)
        return []

    def _follow(self, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        """Wait for real, and let virtual time pass at the wall clock's rate."""
        wall = self._time.wall_wait()
        wait = wall if timeout is None else timeout if wall is None else min(timeout, wall)
        start = timeouts.now()
        events = self._real.select(wait)
        self._time.advance(timeouts.now() - start)
        return events

    def _fire_wall_timers(self) -> bool:
        due = self._time.due()
        for timer in due:
            self.loop.call_soon(timer.callback, *timer.args)  # type: ignore[union-attr]
        return bool(due)

    # -- the rest is the real selector's ------------------------------------------------------------------
    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self.loop = None
        self._real.close()


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time: `time()` reads it, and the loop jumps to its next timer when idle."""

    def __init__(self) -> None:
        self.virtual_time = VirtualTime()
        selector = JumpingSelector(selectors.DefaultSelector(), self.virtual_time)
        super().__init__(selector)
        selector.loop = self

    def time(self) -> float:
        return self.virtual_time.now

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        # A thread's work takes wall time: until it is done the clock follows the wall clock instead of jumping.
        future = super().run_in_executor(executor, func, *args)
        self.virtual_time.threads += 1
        future.add_done_callback(self.virtual_time.thread_done)
        return future

    def call_wall_later(self, seconds: float, callback: Callable[..., object], *args: Any) -> WallTimer:
        """Call `callback(*args)` after `seconds` of wall-clock time, whatever virtual time does."""
        return self.virtual_time.call_wall_later(seconds, callback, *args)
