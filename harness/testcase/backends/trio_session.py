"""trio's session: a trio run in guest mode, the host (this thread) running its ticks between the test's parts."""
from __future__ import annotations

import contextvars
import dataclasses
import os
import queue
import signal
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from harness.findings.activity import own_resources
from harness.findings.sites import add_plumbing, await_chain, caller_site, coro_name, format_site, suspended_site
from harness.findings.unhandled import UnhandledError
from harness.reports.records import ResidualTask
from harness.testcase import timeouts
from harness.testcase.backends.session import ABANDONED, STOP, Call, Session, Teardown
from harness.testcase.clocks import Clock

if TYPE_CHECKING:
    import anyio.abc

__unittest = True  # unittest leaves this module's frames out of a test's traceback

TRIO_OPTIONS = ("restrict_keyboard_interrupt_to_checkpoints", "strict_exception_groups")


class _SpawnSites:
    """A trio instrument recording where each task was spawned."""

    def __init__(self) -> None:
        self.sites: dict[Any, Any] = {}
        self.armed = False  # trio's own system tasks, spawned before the driver, are never residual

    def task_spawned(self, task: Any) -> None:
        if self.armed:
            self.sites[task] = caller_site()


class TrioSession(Session):
    """A trio run started in guest mode, so the test's parts can return to unittest between them."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        import trio

        add_plumbing(trio.__file__)
        self._trio = trio
        self._host: queue.SimpleQueue[Callable[[], Any]] = queue.SimpleQueue()
        self._spawns = _SpawnSites()
        # Sync parts before the run starts (setUp) run in this context; the run's tasks start from a copy of it.
        self.context = contextvars.copy_context()
        self._task: Any = None
        self._next: Call | None = None
        self._run_done = False
        self._stopping = False
        self._run_error: BaseException | None = None
        self._token: Any = None  # the run's TrioToken: how the host asks the run to cancel a part that runs late
        self._scope: Any = None  # the cancel scope that cancels the part running
        self._test_scope: Any = None  # the cancel scope around all of the test's parts
        self._sigint = signal.getsignal(signal.SIGINT) if _main_thread() else None

    def _on_done(self, outcome: Any) -> None:
        self._run_done = True
        try:
            outcome.unwrap()
        except BaseException as exc:
            self._run_error = exc

    async def _main(self, first: Call) -> None:
        self._task = self._trio.lowlevel.current_task()
        self._token = self._trio.lowlevel.current_trio_token()
        self._spawns.armed = True
        # One cancel scope around all the test's parts, not one per part: a context a part enters and a later part
        # leaves (enterAsyncContext of a task group or a nursery in asyncSetUp) must nest inside it.
        with self._trio.CancelScope() as self._test_scope:
            await self._drive(first)
        # The task group failed (the test part running saw why): later parts, such as asyncTearDown and async
        # cleanups, still run on this loop, each on its own, until close() stops the run.
        while not self._stopping and not self.ended_early:
            call = await self._next_call()
            if call is STOP:
                break
            with self._trio.CancelScope() as self._scope:
                await self._alone(call)
            self._complete(call)

    async def _run_call(self, call: Call, group: anyio.abc.TaskGroup | None) -> None:
        if not self.expired:  # a part that runs late is cancelled through the test's scope
            self._scope = self._test_scope
            await super()._run_call(call, group)
            return
        # The time ran out, so the test's scope is cancelled: each later part (asyncTearDown, cleanups) runs
        # shielded from it, in a scope of its own that is cancelled if the part overruns its grace.
        with self._trio.CancelScope(shield=True) as self._scope:
            await super()._run_call(call, group)

    async def _next_call(self) -> Call:
        # Poll rather than wait on an Event: an idle guest run parks its I/O wait in a worker thread, and waking
        # it costs a thread round trip per test part. The loop only turns while the host pumps, so between parts
        # nothing spins; a part the host hands over is seen on the next tick.
        if self.expired:  # the test's scope is cancelled: wait for the next part shielded from it
            with self._trio.CancelScope(shield=True):
                while self._next is None:
                    await self._trio.lowlevel.checkpoint()
        while self._next is None:
            await self._trio.lowlevel.checkpoint()
        call, self._next = self._next, None
        self._stopping = call is STOP
        return call

    def _complete(self, call: Call) -> None:
        call.finished = True

    def _pump(self, until: Callable[[], bool], deadline: float | None = None) -> bool:
        """Run trio's ticks until `until()` holds; False if the deadline passed first."""
        while not until():
            timeout = None if deadline is None else deadline - timeouts.now()
            if timeout is not None and timeout <= 0:
                return False
            try:
                tick = self._host.get(timeout=timeout)
            except queue.Empty:
                return False
            tick()
        return True

    ends_early = True  # a class's run and the tests on it keep their own teardown

    def _may_end_early(self) -> bool:
        # Nothing below the test's main task (the task group is empty), and no time limit passed: the run can end
        # with the test's last part, without the host handing it a part to stop on.
        return not self.expired and self.stuck is None and not self._tasks_below(self._task)

    def _call(self, call: Call) -> Any:
        fn = call.fn
        if self.stuck is not None:
            raise self._not_run(call)
        if not self.started:
            self.started = True
            with own_resources():  # trio's wake-up sockets, closed when the run ends
                self._start_guest_run(call)
        elif self._run_done:
            raise RuntimeError(
                f"the trio run of this test has already ended, so {getattr(fn, '__qualname__', fn)!r} cannot run "
                "on it; see the test's other errors for why it ended"
            )
        else:
            self._next = call
        if self.deadline is None:
            self._pump(lambda: call.finished or self._run_done)
        else:
            self._pump_within(call)
        return call.outcome()

    # -- the time limit: the host watches the wall clock between ticks, the run cancels the part ------------
    def _pump_within(self, call: Call) -> None:
        def done() -> bool:
            return call.finished or self._run_done

        if self._token is None:  # the run has not reached its main task yet: that takes its first ticks only
            self._pump(lambda: self._token is not None or done())
        until = timeouts.now() + self.grace if self.expired else self.deadline
        finished = self._pump(done, until)
        while not finished and not self.expired and self.deadline > timeouts.now():  # type: ignore[operator]
            finished = self._pump(done, self.deadline)  # a debugger held the test: its deadline moved
        if finished:
            return
        self._token.run_sync_soon(self._expire, call)
        if not self._pump(done, timeouts.now() + self.grace):
            self._give_up(call)

    def _expire(self, call: Call) -> None:
        """Runs in the trio run, between its tasks' steps: describe every task, then cancel the part."""
        if call.finished:
            return
        if self.expired:
            call.timeout = timeouts.overran(call.name, self.grace)
        else:
            self.expired = True
            call.timeout = timeouts.exceeded(self.limit, call.name, self._task_blocks())  # type: ignore[arg-type]
        if self._scope is not None:
            self._scope.cancel()

    def _task_blocks(self) -> list[str]:
        trio_files = os.path.dirname(self._trio.__file__) + os.sep
        blocks = []
        for task in self._tasks_below(self._trio.lowlevel.current_root_task()):
            frame = getattr(task.coro, "cr_frame", None)
            if frame is not None and frame.f_code.co_filename.startswith(trio_files):
                continue  # trio's own system tasks
            blocks.append(timeouts.task_block(self._title(task), await_chain(task.coro)))
        return blocks

    def _title(self, task: Any) -> str:
        if task is self._task:
            return f"task {task.name!r}, the test's own (its async parts run here)"
        started = format_site(self._spawns.sites.get(task))
        return f"task {task.name!r} running {coro_name(task.coro)} (started at {started})"

    def _start_guest_run(self, first: Call) -> None:
        self.context.run(
            self._trio.lowlevel.start_guest_run,
            self._main, first,
            run_sync_soon_threadsafe=self._host.put,
            done_callback=self._on_done,
            instruments=[self._spawns],
            **self.options,
        )

    def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        context = self.context if self._task is None else self._task.context
        return context.run(fn, *args, **kwargs)

    def clock(self, test: str) -> Clock:
        return Clock(self._trio.current_time, None, test)

    def close(self, bound: float) -> Teardown:
        if not self.started:
            return Teardown((), tuple(self.errors))
        pending = self._tasks_below(self._task) if self._task is not None else []
        described = {task: self._describe(task) for task in pending}
        if not self._run_done:
            self._next = STOP
            if not self._pump(lambda: self._run_done, timeouts.now() + bound):
                self._abandon()
        alive = set(self._tasks_below(self._task)) if not self._run_done else set()
        residual = tuple(
            dataclasses.replace(described[task], refused_cancel=True) if task in alive else described[task]
            for task in pending
        )
        if self._run_error is not None:
            error = UnhandledError("the trio run failed while being torn down")
            error.__cause__ = self._run_error
            self.errors.append(error)
        self._spawns.sites.clear()
        return Teardown(residual, tuple(self.errors))

    def _tasks_below(self, task: Any) -> list[Any]:
        found = []
        for nursery in task.child_nurseries:
            for child in nursery.child_tasks:
                found.append(child)
                found.extend(self._tasks_below(child))
        return found

    def _describe(self, task: Any) -> ResidualTask:
        return ResidualTask(
            name=task.name,
            coro=coro_name(task.coro),
            created_at=format_site(self._spawns.sites.get(task)),
            suspended_at=format_site(suspended_site(task.coro)),
        )

    def _abandon(self) -> None:
        """Leave a run whose tasks refuse to stop, so that later trio runs in this thread can start."""
        ABANDONED.append(self._host)
        vars(self._trio._core._run.GLOBAL_RUN_CONTEXT).clear()
        if self._sigint is not None:
            signal.signal(signal.SIGINT, self._sigint)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def run_markers(session: Session) -> tuple[object, ...]:
    """What identifies a session's trio run to crossloop: its TrioToken and main task (none on asyncio)."""
    if not isinstance(session, TrioSession):
        return ()
    return tuple(marker for marker in (session._token, session._task) if marker is not None)

