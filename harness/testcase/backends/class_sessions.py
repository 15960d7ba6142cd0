"""Class-scoped loops (loop_scope = "class"): one loop for a class's tests, and a session per test on it."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from harness.findings.sites import await_chain
from harness.testcase import loops, timeouts
from harness.testcase.backends.asyncio_session import AsyncioSession
from harness.testcase.backends.session import STOP, Call, Teardown
from harness.testcase.backends.trio_session import TrioSession

__unittest = True  # unittest leaves this module's frames out of a test's traceback


class AsyncioClassSession(AsyncioSession):
    """The loop of a class: current, with the class's task factory and error handler, only while a class part runs.

    Between class parts each test's session installs its own factory and handler, so that a task belongs to the
    test (or the class part) during which it was created.
    """

    ends_early = False

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self._factory = self.loop.get_task_factory()
        self._handler = self.loop.get_exception_handler()
        loops.put_back(self._outer)

    def reclaim(self) -> None:
        """Put the class's task factory and error handler back on the loop (after a test's session)."""
        self.loop.set_task_factory(self._factory)
        self.loop.set_exception_handler(self._handler)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.reclaim()
        outer = loops.outer_loop()
        asyncio.set_event_loop(self.loop)
        try:
            return super().call(fn, *args, **kwargs)
        finally:
            loops.put_back(outer)

    def close(self, bound: float) -> Teardown:
        self.reclaim()
        return super().close(bound)

    def unlimit(self) -> None:
        """Drop the time limit of the class part that just ran; the next one is given its own."""
        self._cancel_timers()
        self._timer = self._grace_timer = None
        self.limit, self.deadline, self.expired = None, None, False


class SharedAsyncioSession(AsyncioSession):
    """A test on a class's asyncio loop: the tasks created while it ran are its own; the loop stays open."""

    ends_early = False

    def __init__(self, owner: AsyncioClassSession) -> None:
        super().__init__(owner.backend, owner.options, loop=owner.loop)
        self._owner = owner

    def close(self, bound: float) -> Teardown:
        loop = self.loop
        self._cancel_timers()
        try:
            # 1. record the tasks created during this test that are still pending (the class's are left alone)
            own = (self._driver, self._alone_task)
            pending = [task for task in list(self.sites.sites) if not task.done() and task not in own]
            self.cancel_on_stop = bool(pending)
            described = {task: self.sites.residual(task) for task in pending}
            # 2. cancel them and stop the driver, within the bound; the loop goes on for the class's next test
            if pending or self.stuck is not None:
                loop.run_until_complete(self._cancel_and_wait(pending, bound))
            elif self._driver is not None and not self._driver.done():
                self._waiter.set_result(STOP)  # type: ignore[union-attr]
                loop.run_until_complete(self._driver)
            residual = self._settle(pending, described)
        finally:
            # 3. the loop is no longer current, and the class's factory and handler are back
            self.sites.release()
            loops.put_back(self._outer)
            self._owner.reclaim()
            self._driver = self._waiter = self._current = self._alone_task = None
            self._inflight = self._timer = self._grace_timer = None
        return Teardown(residual, tuple(self.errors))

    def _task_blocks(self) -> list[str]:
        own = (self._driver, self._alone_task)
        tasks = [task for task in asyncio.all_tasks(self.loop) if task is not self._owner._driver]
        tasks.sort(key=lambda task: (task not in own, task.get_name()))
        return [timeouts.task_block(self._title(task, task in own), await_chain(task.get_coro())) for task in tasks]


class TrioClassSession(TrioSession):
    """The trio run of a class, in guest mode: its main task runs the class parts and holds a nursery where each
    test's own main task is started."""

    ends_early = False

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.tests: Any = None  # the nursery each test's main task runs in
        self._wake: Any = None

    async def _main(self, first: Call) -> None:
        async with self._trio.open_nursery() as nursery:
            self.tests = nursery
            await super()._main(first)
            nursery.cancel_scope.cancel()  # a test's task that refused to stop goes with the class

    async def _next_call(self) -> Call:
        # Wait on an Event, not by polling: the class's driver waits while the tests run, and polling would keep
        # the run from ever sleeping. The host sets it (`_poke`) before handing over a class part.
        while self._next is None:
            self._wake = self._trio.Event()
            await self._wake.wait()
        call, self._next = self._next, None
        self._stopping = call is STOP
        return call

    def _poke(self) -> None:
        if self._token is not None and not self._run_done:
            self._token.run_sync_soon(self._wake_up)

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._poke()  # runs on a later tick, after the part is handed over
        return super().call(fn, *args, **kwargs)

    def close(self, bound: float) -> Teardown:
        self._poke()
        return super().close(bound)

    def unlimit(self) -> None:
        """Drop the time limit of the class part that just ran; the next one is given its own."""
        self.limit, self.deadline, self.expired = None, None, False


class SharedTrioSession(TrioSession):
    """A test on a class's trio run: its main task is started in the class's nursery, and the tasks below it
    are its own; the run goes on for the class's next test."""

    ends_early = False

    def __init__(self, owner: TrioClassSession) -> None:
        super().__init__(owner.backend, owner.options)
        self._owner = owner
        self._host = owner._host
        self._sigint = None

    def _start_guest_run(self, first: Call) -> None:
        self._owner._token.run_sync_soon(self.context.run, self._owner.tests.start_soon, self._main, first)

    async def _main(self, first: Call) -> None:
        lowlevel = self._trio.lowlevel
        lowlevel.add_instrument(self._spawns)
        self._owner._spawns.armed = False  # what starts now is this test's
        try:
            await super()._main(first)
        except self._trio.Cancelled:
            raise
        except BaseException as exc:  # kept for close(), so the class's run goes on
            self._run_error = exc
        finally:
            lowlevel.remove_instrument(self._spawns)
            self._owner._spawns.armed = True
            self._run_done = True

    def _tasks_below(self, task: Any) -> list[Any]:
        found = super()._tasks_below(task)
        return [child for child in found if child is not self._owner._task] if task is not self._task else found

    def _abandon(self) -> None:
        """A task of this test refuses to stop: it stays in the class's run, whose own teardown deals with it."""
