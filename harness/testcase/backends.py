"""Event loops per test: asyncio, asyncio+uvloop and trio behind one interface.

This is the only module that knows trio's and uvloop's internals. A `Session` is one fresh loop
for one test: `call` runs setUp, the test and tearDown parts in one driver task (so contextvars set in
one part are seen by the next, and `task_group` stays open), and `close` is the enforced teardown.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import inspect
import os
import queue
import signal
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from harness.findings.residue import (
    CallbackSites,
    TaskSites,
    UnhandledError,
    add_plumbing,
    await_chain,
    caller_site,
    coro_name,
    format_site,
    own_resources,
    suspended_site,
)
from harness.reports.records import PendingCallback, ResidualTask
from harness.testcase import loops, timeouts
from harness.testcase.clocks import Clock, ClockName, VirtualClockLoop, WallTimer

if TYPE_CHECKING:
    import anyio.abc

__unittest = True  # unittest leaves this module's frames out of a test's traceback

BACKENDS: tuple[str, ...] = ("asyncio", "trio", "asyncio+uvloop")
BackendSpec = str | tuple[str, Mapping[str, Any]]
Timer = asyncio.TimerHandle | WallTimer  # the time limit's timers: the loop's own, or wall timers on the virtual clock

# Bound at import: a test may replace these and not put them back before its teardown, which must not use its fakes.
_all_tasks, _current_task, _wait, _wait_for = asyncio.all_tasks, asyncio.current_task, asyncio.wait, asyncio.wait_for
_new_task = asyncio.Task
_ThreadPoolExecutor = concurrent.futures.ThreadPoolExecutor

# Tasks that refused cancellation are kept referenced forever: letting them be collected would log
# "Task was destroyed but it is pending!" into whichever test happens to run the garbage collector.
_ABANDONED: list[object] = []


class UnknownBackend(ValueError):
    """A backend name or option that does not exist."""


class BackendUnavailable(RuntimeError):
    """A backend whose library is not installed (the test is skipped, with the fix)."""


class LoopMisuse(RuntimeError):
    """The test closed or stopped the event loop harness runs it on."""


class ClockUnavailable(BackendUnavailable):
    """A backend that cannot run on the virtual clock (the test is skipped, with the fix)."""


@dataclasses.dataclass(frozen=True)
class Teardown:
    """What closing a session found."""

    residual_tasks: tuple[ResidualTask, ...]
    errors: tuple[UnhandledError, ...]
    pending_callbacks: tuple[PendingCallback, ...] = ()


def split_spec(spec: BackendSpec) -> tuple[str, Mapping[str, Any]]:
    """`"trio"` or `("trio", {...})` -> (name, options), refusing unknown names with the choices.

    anyio's spelling `("asyncio", {"use_uvloop": True})` comes back as `"asyncio+uvloop"`, without that option.
    """
    name, options = (spec, {}) if isinstance(spec, str) else spec
    if name not in BACKENDS:
        raise UnknownBackend(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
    allowed = _OPTIONS[name]
    for key in options:
        if key not in allowed:
            raise UnknownBackend(
                f"unknown option {key!r} for backend {name!r}; choose from: {', '.join(allowed) or 'none'}"
            )
    if "use_uvloop" in options:
        rest = {key: value for key, value in options.items() if key != "use_uvloop"}
        return ("asyncio+uvloop" if options["use_uvloop"] else "asyncio"), rest
    return name, options


def prime() -> None:
    """Make the one-time, process-wide resources of the installed backends now, outside any test.

    uvloop opens a pipe the first time a loop is made and keeps it for the life of the process: made
    during a test (any test: one may call uvloop.run, or run a suite of its own on uvloop), the state probes
    would blame that test for a descriptor left open. Costs about 3 ms a run (the import of uvloop), and
    only where uvloop is installed.
    """
    import importlib.util

    if importlib.util.find_spec("uvloop") is None:
        return
    try:
        loop = _new_asyncio_loop("asyncio+uvloop")
    except (BackendUnavailable, ImportError):
        return
    loop.close()


def open_session(spec: BackendSpec, clock: ClockName = "real", task_group: bool = True) -> Session:
    """A fresh loop on the named backend and clock, not started until its first call.

    `task_group`: whether the test's parts run inside an anyio task group (`self.task_group`); without one,
    anyio is not even imported.
    """
    name, options = split_spec(spec)
    with own_resources():
        if clock == "virtual":
            session = _virtual_session(name, options)
        elif name == "trio":
            session = TrioSession(name, options)
        else:
            session = AsyncioSession(name, options)
    session.with_task_group = task_group
    return session


class _Call:
    """One function handed to the driver task, and its outcome."""

    __slots__ = ("fn", "args", "kwargs", "finished", "result", "error", "future", "timeout", "last")

    def __init__(self, fn: Callable[..., Any] | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.finished = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.future: asyncio.Future[None] | None = None
        self.timeout: timeouts.TimeLimitExceeded | None = None  # set when the part was cancelled for running late
        # Asked by the driver once the part is over: True when no part can follow (no tearDown, no cleanups left)
        self.last: Callable[[], bool] | None = None

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)

    def outcome(self) -> Any:
        if self.timeout is not None:  # whatever the cancelled part raised, running late is what went wrong
            self.error = None
            raise self.timeout
        if self.error is not None:
            error, self.error = self.error, None  # do not keep the traceback alive through us
            raise error
        return self.result


_STOP = _Call(None, (), {})


class Session:
    """One event loop for one test; subclasses provide the host side of each backend."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.backend = name
        self.options = options
        self.task_group: anyio.abc.TaskGroup | None = None
        self.with_task_group = True  # False: the parts run without one (the project never names task_group)
        self.loop: asyncio.AbstractEventLoop | None = None  # the asyncio loop; a trio run has none
        self.errors: list[UnhandledError] = []
        self.started = False
        self.driver_done = False
        self.ended_early = False  # the driver ended with the test's last part (see call_last)
        self.cancel_on_stop = True
        self._current: _Call | None = None
        # The time limit (see limit_to): a wall-clock deadline, and the seconds each part gets once it has passed.
        self.limit: timeouts.Limit | None = None
        self.deadline: float | None = None
        self.grace = 1.0
        self.expired = False
        self.stuck: str | None = None  # the part that ignored its cancellation; later parts cannot run

    def limit_to(self, limit: timeouts.Limit, grace: float) -> None:
        """Count `limit` from now: a part still running when it passes is cancelled and the test errors with
        "timed out after S s"; each later part (asyncTearDown, cleanups) then gets `grace` seconds."""
        self.limit, self.grace = limit, grace
        self.deadline = timeouts.now() + limit.seconds

    def extend(self, seconds: float) -> None:
        """Move the deadline `seconds` later: the time a debugger held the test does not count."""
        if self.deadline is not None and not self.expired:
            self.deadline += seconds

    # -- the driver, the same on every backend ------------------------------------------------------
    async def _drive(self, first: _Call) -> None:
        try:
            if not self.with_task_group:  # the project never names task_group: the parts with nothing around them
                await self._parts(first, None)
                return
            import anyio

            async with anyio.create_task_group() as group:
                self.task_group = group
                if await self._parts(first, group) and self.cancel_on_stop:
                    group.cancel_scope.cancel()  # stop what is left; close() has already recorded it
        except BaseException as exc:  # a background task failed, or one failed while being cancelled
            self._crash(exc)
        finally:
            self.driver_done = True
            if self._current is not None:
                self._complete(self._current)

    async def _parts(self, call: _Call, group: anyio.abc.TaskGroup | None) -> bool:
        """Run the parts the host hands over; True when it handed the stop, False when the driver ended early."""
        while call is not _STOP:
            self._current = call
            await self._run_call(call, group)
            # A part that failed keeps the loop to the test's teardown, as the debugger (--pdb) may look at it then
            if call.last is not None and call.error is None and call.last() and self._may_end_early():
                self.ended_early = True
                return False  # the part completes as the driver ends (in `finally`): close() has nothing to run
            self._current = None
            self._complete(call)
            call = await self._next_call()
        return True

    async def _run_call(self, call: _Call, group: anyio.abc.TaskGroup | None) -> None:
        try:
            result = call.fn(*call.args, **call.kwargs)  # type: ignore[misc]
            if inspect.isawaitable(result):
                result = await result
            call.result = result
        except BaseException as exc:
            call.error = exc
            if group is not None and group.cancel_scope.cancel_called and call.timeout is None:
                raise  # the task group is failing: let it raise the background task's error
        if call.timeout is not None:
            self._part_cancelled()

    def _part_cancelled(self) -> None:
        """The driver's part was cancelled for running late: undo what the cancellation left on the driver."""

    def _may_end_early(self) -> bool:
        """Whether the driver may end with the test's last part, in the same turn of the loop: nothing else runs,
        so close() finds nothing to record or cancel, and saves a trip through the loop."""
        return False

    async def _alone(self, call: _Call) -> None:
        """Run a part after the task group has failed: on its own, still on this test's loop."""
        try:
            result = call.fn(*call.args, **call.kwargs)  # type: ignore[misc]
            call.result = await result if inspect.isawaitable(result) else result
        except BaseException as exc:
            call.error = exc

    def _crash(self, exc: BaseException) -> None:
        if self._current is not None:
            self._current.error = exc  # the test part that was running fails with the real cause
            return
        error = UnhandledError("a task in self.task_group failed while the test was being torn down")
        error.__cause__ = exc
        self.errors.append(error)

    # -- the host side, per backend -----------------------------------------------------------------
    ends_early: ClassVar[bool] = False  # a test's own loop may end with its last part (see call_last)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `fn` (sync or async) in the driver task and return its result or raise its error."""
        return self._call(_Call(fn, args, kwargs))

    def call_last(self, fn: Callable[[], Any], last: Callable[[], bool]) -> Any:
        """`call(fn)`, for a part that may be the test's last async one: `last()`, asked when it is over, says."""
        if not self.ends_early:
            return self.call(fn)
        call = _Call(fn, (), {})
        call.last = last
        return self._call(call)

    def _call(self, call: _Call) -> Any:
        raise NotImplementedError

    def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a sync `fn` outside the loop but in the test's context (contextvars shared)."""
        raise NotImplementedError

    def clock(self, test: str) -> Clock:
        """`self.clock` for `test`: the loop's time, which only a virtual-clock session can move."""
        raise NotImplementedError

    def close(self, bound: float) -> Teardown:
        """Enforced teardown: record what is left, cancel it within `bound` seconds, close the loop."""
        raise NotImplementedError

    async def _next_call(self) -> _Call:
        raise NotImplementedError

    def _complete(self, call: _Call) -> None:
        raise NotImplementedError

    def _not_run(self, call: _Call) -> RuntimeError:
        return RuntimeError(
            f"{call.name} was not run: the test's task is still stuck in {self.stuck}, which ignored its "
            "cancellation after the test's time ran out"
        )

    def _give_up(self, call: _Call) -> None:
        """A cancelled part that does not stop: leave it, so the host can go on with the test's teardown."""
        if call.finished:
            return
        if call.timeout is None:
            call.timeout = timeouts.overran(call.name, self.grace)
        call.timeout.add_note(
            f"{call.name} did not stop within {self.grace:g} s of being cancelled and was abandoned; "
            "the test's later async parts were not run"
        )
        self.stuck = call.name
        self._complete(call)


# ------------------------------------------------------------------------------------------------
# asyncio and uvloop
# ------------------------------------------------------------------------------------------------
def _new_asyncio_loop(name: str) -> asyncio.AbstractEventLoop:
    if name == "asyncio":
        return loops.new_event_loop()
    try:
        import uvloop
    except ImportError:
        raise BackendUnavailable(
            "backend 'asyncio+uvloop' needs uvloop, which is not installed: pip install 'harness[uvloop]'"
        ) from None
    add_plumbing(uvloop.__file__)
    return uvloop.new_event_loop()


class AsyncioSession(Session):
    """A fresh asyncio (or uvloop) loop with a creation-site task factory and an error collector."""

    def __init__(self, name: str, options: Mapping[str, Any], loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(name, options)
        self.loop: asyncio.AbstractEventLoop = loop if loop is not None else self._new_loop()
        self.sites = TaskSites()
        self.loop.set_task_factory(self.sites.factory)
        self.callbacks = CallbackSites()
        if loop is None:  # a loop of its own (a class's loop shared by its tests is hooked once, by the class)
            self.callbacks.hook(self.loop)
        # A closure over the list, not a bound method: the loop must not keep the session alive.
        errors, sites = self.errors, self.sites
        self.loop.set_exception_handler(lambda loop, context: errors.append(_loop_error(context, sites)))
        if options.get("debug"):
            self.loop.set_debug(True)
        # The loop is set as current on this policy and reset on it at teardown: a test may set one that refuses.
        self._policy = asyncio.get_event_loop_policy()
        self._outer = loops.outer_loop()
        self._policy.set_event_loop(self.loop)
        self.context = contextvars.copy_context()
        self._driver: asyncio.Task[None] | None = None
        self._waiter: asyncio.Future[_Call] | None = None
        self._alone_task: asyncio.Task[None] | None = None  # the part running on its own after the driver ended
        self._inflight: _Call | None = None
        # One timer for the test's deadline, on the loop's clock but checked against the wall clock when it fires.
        self._timer: Timer | None = None
        self._grace_timer: Timer | None = None

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        return _new_asyncio_loop(self.backend)

    async def _next_call(self) -> _Call:
        self._waiter = self.loop.create_future()
        return await self._waiter

    def _complete(self, call: _Call) -> None:
        call.finished = True
        if call.future is not None and not call.future.done():
            call.future.set_result(None)

    ends_early = True  # a class's session and the tests on it keep their own teardown

    def _may_end_early(self) -> bool:
        return (not self.expired and self.stuck is None and not self._has_shutdown_work()
                and all(task is self._driver for task in _all_tasks(self.loop)))

    def _call(self, call: _Call) -> Any:
        if self.stuck is not None:
            raise self._not_run(call)
        try:
            self._hand_over(call)
            if self.deadline is not None:
                self._watch(call)
            self.loop.run_until_complete(call.future)  # type: ignore[arg-type]
        except RuntimeError as exc:  # the test closed or stopped its loop
            self._misused(call, exc)
        self._inflight = None
        if self._grace_timer is not None:
            self._grace_timer.cancel()
        return call.outcome()

    def _hand_over(self, call: _Call) -> None:
        call.future = self.loop.create_future()
        if not self.started:
            self.started = True
            self._driver = self._task(self._drive(call))
        elif self.driver_done:  # the task group failed earlier: run the part on its own
            self._alone_task = self._task(self._alone(call))
            self._alone_task.add_done_callback(lambda _: self._complete(call))
        else:
            self._waiter.set_result(call)  # type: ignore[union-attr]

    def _task(self, coro: Any) -> asyncio.Task[None]:
        """harness's own task on the loop (the driver): made directly, so the task factory does not look for
        where a test created it."""
        try:
            return _new_task(coro, loop=self.loop, context=self.context)
        except RuntimeError:  # a closed loop: our coroutine must not be reported as never awaited
            coro.close()
            raise

    def _misused(self, call: _Call, error: RuntimeError) -> None:
        """The loop could not run `call`: the test closed it, or stopped it midway (then it runs to the part's end)."""
        if self.loop.is_closed():
            raise LoopMisuse(
                f"{call.name} could not run: the test's event loop was closed (loop.close() in the test or its "
                "setUp?); remove that call: harness closes each test's loop itself, after its cleanups"
            ) from None
        if call.future is None or call.future.done() or self.loop.is_running():
            raise error
        with contextlib.suppress(RuntimeError):  # stopped once more: teardown cancels the part within its bound
            self.loop.run_until_complete(call.future)
        raise LoopMisuse(
            f"{call.name} stopped the test's event loop (loop.stop()) before it finished; remove that call: harness "
            "runs each test's loop itself (to end a test early, return or raise)"
        ) from call.error

    # -- the time limit -------------------------------------------------------------------------------
    def _wall_later(self, seconds: float, callback: Callable[..., object], *args: Any) -> Timer:
        """A timer `seconds` of wall-clock time from now: on this loop, whose clock is the wall clock's. Scheduled
        through the loop's class, past the hooks that note where the test's own callbacks come from (residue's
        CallbackSites): this one is harness's."""
        loop = self.loop
        return type(loop).call_at(loop, loop.time() + seconds, callback, *args)

    def _watch(self, call: _Call) -> None:
        self._inflight = call
        if self.expired:
            overran = timeouts.overran(call.name, self.grace)
            self._grace_timer = self._wall_later(self.grace, self._expire, call, overran)
        elif self._timer is None:  # once per test (again only if it fired between two parts)
            left = self.deadline - timeouts.now()  # type: ignore[operator]
            self._timer = self._wall_later(left, self._on_deadline)

    def _on_deadline(self) -> None:
        self._timer = None
        call = self._inflight
        if call is None or call.finished:
            return  # the part ended just in time; the next part sets the timer again, and is cancelled at once
        left = self.deadline - timeouts.now()  # type: ignore[operator]
        if left > 0:  # the loop's clock ran ahead of the wall clock
            self._timer = self._wall_later(left, self._on_deadline)
            return
        self.expired = True
        self._expire(call, timeouts.exceeded(self.limit, call.name, self._task_blocks()))  # type: ignore[arg-type]

    def _expire(self, call: _Call, error: timeouts.TimeLimitExceeded) -> None:
        if call.finished:
            return
        call.timeout = error
        running = self._alone_task if self.driver_done else self._driver
        running.cancel()  # type: ignore[union-attr]
        self._grace_timer = self._wall_later(self.grace, self._give_up, call)

    def _part_cancelled(self) -> None:
        _current_task().uncancel()  # type: ignore[union-attr]  # else anyio's task group would see it at exit

    def _task_blocks(self) -> list[str]:
        own = (self._driver, self._alone_task)
        tasks = sorted(_all_tasks(self.loop), key=lambda task: (task not in own, task.get_name()))
        return [timeouts.task_block(self._title(task, task in own), await_chain(task.get_coro())) for task in tasks]

    def _title(self, task: asyncio.Task[Any], own: bool) -> str:
        if own:
            return f"task {task.get_name()!r}, the test's own (its async parts run here)"
        created = format_site(self.sites.sites.get(task))
        return f"task {task.get_name()!r} running {coro_name(task.get_coro())} (created at {created})"

    def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return self.context.run(fn, *args, **kwargs)

    def clock(self, test: str) -> Clock:
        return Clock(self.loop.time, None, test)

    def _cancel_timers(self) -> None:
        """The time limit's timers: not needed once the test's parts are over."""
        for timer in (self._timer, self._grace_timer):
            if timer is not None:
                timer.cancel()

    def close(self, bound: float) -> Teardown:
        loop = self.loop
        self._cancel_timers()
        try:
            # 1. record every task still pending, before cancelling changes where it waits (none when the driver
            # ended with the test's last part: it looked then, and no code has run on or for this loop since)
            pending = [] if self.ended_early else [task for task in _all_tasks(loop) if task is not self._driver]
            self.cancel_on_stop = bool(pending)
            described = {task: self.sites.residual(task) for task in pending}
            # 2. cancel, wait within the bound, and shut down generators and the executor
            if loop.is_closed():
                self.errors.append(_closed_early(len(pending)))
            elif pending or self.stuck is not None or (not self.ended_early and self._has_shutdown_work()):
                loop.run_until_complete(self._finish(pending, bound))
            elif self._driver is not None and not self._driver.done():  # the clean path: just stop the driver
                self._waiter.set_result(_STOP)  # type: ignore[union-attr]
                loop.run_until_complete(self._driver)
            residual = self._settle(pending, described)
            if self._driver is not None and not self._driver.done():
                _ABANDONED.append(self._driver)
            # 3. record and cancel the callbacks still scheduled (call_soon, call_later, call_at)
            callbacks = self.callbacks.settle(loop)
        finally:
            # 4. close the loop and reset the current loop, whatever happened above
            self.sites.release()
            self.callbacks.release(loop)
            loops.put_back(self._outer, self._policy)
            if not loop.is_closed():
                loop.close()
            self._driver = self._waiter = self._current = self._alone_task = None  # no cycles: tasks go with the test
            self._inflight = self._timer = self._grace_timer = None
        return Teardown(residual, tuple(self.errors), callbacks)

    async def _finish(self, pending: list[asyncio.Task[Any]], bound: float) -> None:
        for task in pending:
            task.cancel()
        waiting: list[asyncio.Future[Any]] = list(pending)
        if self._driver is not None and not self._driver.done():
            if self.stuck is not None:
                self._driver.cancel()  # once more: it is still in the part that ignored the first one
            elif self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(_STOP)
            waiting.append(self._driver)
        if waiting:
            await _wait(waiting, timeout=bound)
        await self._bounded(self.loop.shutdown_asyncgens(), bound, "async generators did not finish closing")
        if getattr(self.loop, "_default_executor", True) is not None:
            await self._bounded(
                self._shutdown_executor(), bound,
                "the default executor still had work running (a run_in_executor or to_thread call)",
            )

    async def _shutdown_executor(self) -> None:
        """`loop.shutdown_default_executor()`, but one the bound can abandon.

        On 3.11 and 3.12 the stdlib's version joins its helper thread even when cancelled, so a thread stuck
        in the executor would hold teardown past the bound, then set a result on a cancelled future.
        """
        loop = self.loop
        executor = getattr(loop, "_default_executor", None)
        if not isinstance(executor, _ThreadPoolExecutor):
            await loop.shutdown_default_executor()  # uvloop, or a loop with an executor of its own kind
            return
        loop._executor_shutdown_called = True  # type: ignore[attr-defined]  # as the stdlib does: no new work
        done = loop.create_future()

        def settle() -> None:
            if not done.done():
                done.set_result(None)

        def shut_down() -> None:
            executor.shutdown(wait=True)
            with contextlib.suppress(RuntimeError):  # the loop was closed while we waited
                loop.call_soon_threadsafe(settle)

        threading.Thread(target=shut_down, name="harness-executor-shutdown", daemon=True).start()
        try:
            await done
        except asyncio.CancelledError:
            executor.shutdown(wait=False, cancel_futures=True)
            raise

    def _has_shutdown_work(self) -> bool:
        # Private attributes, read only to skip the bounded shutdown (two more tasks) when there is nothing to shut.
        return bool(getattr(self.loop, "_asyncgens", True)) or getattr(self.loop, "_default_executor", True) is not None

    async def _bounded(self, awaitable: Any, bound: float, what: str) -> None:
        try:
            await _wait_for(awaitable, bound)
        except TimeoutError:
            self.errors.append(UnhandledError(f"{what} after {bound:g} s; it was abandoned"))

    def _settle(self, pending: list[asyncio.Task[Any]],
                described: dict[asyncio.Task[Any], ResidualTask]) -> tuple[ResidualTask, ...]:
        """The residual tasks, marked when they refused cancellation (those are abandoned), and their results read."""
        residual = tuple(
            dataclasses.replace(described[task], refused_cancel=True) if not task.done() else described[task]
            for task in pending
        )
        _ABANDONED.extend(task for task in pending if not task.done())
        self._collect_results(pending, described)
        return residual

    def _collect_results(self, pending: list[asyncio.Task[Any]], described: Mapping[Any, ResidualTask]) -> None:
        reported = _reported_exceptions(self.errors)  # a task group's task failing is already in its group's error
        for task in pending:
            if task.done() and not task.cancelled() and task.exception() is not None:
                if id(task.exception()) in reported:
                    continue
                error = UnhandledError(
                    f"task {task.get_name()!r} running {described[task].coro} raised while being cancelled"
                )
                error.__cause__ = task.exception()
                self.errors.append(error)


def _closed_early(pending: int) -> UnhandledError:
    left = f", so the {pending} task{'s' if pending != 1 else ''} left on it could not be cancelled" if pending else ""
    return UnhandledError(
        f"the test closed its event loop (loop.close()) before harness's teardown{left}; remove that call: harness "
        "closes each test's loop itself, after its cleanups"
    )


def _reported_exceptions(errors: list[UnhandledError]) -> set[int]:
    """Ids of the exceptions these errors already carry, through causes and exception groups."""
    seen: set[int] = set()
    stack: list[BaseException] = list(errors)
    while stack:
        exc = stack.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        stack.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
        if isinstance(exc, BaseExceptionGroup):
            stack.extend(exc.exceptions)
    return seen


def _loop_error(context: dict[str, Any], sites: TaskSites) -> UnhandledError:
    """Turn what asyncio would only log into an error of the test."""
    message = context.get("message") or "unhandled error in the event loop"
    source = context.get("task") or context.get("future")
    if isinstance(source, asyncio.Task):
        message += (
            f" (task {source.get_name()!r} running {coro_name(source.get_coro())}, "
            f"created at {format_site(sites.sites.get(source))})"
        )
    elif context.get("handle") is not None and not message.startswith("Exception in callback"):
        message += f" (in callback {context['handle']!r})"
    error = UnhandledError(message)
    error.__cause__ = context.get("exception")
    return error


# ------------------------------------------------------------------------------------------------
# trio, in guest mode: the host (this thread) runs trio's ticks between the test's parts
# ------------------------------------------------------------------------------------------------
_TRIO_OPTIONS = ("restrict_keyboard_interrupt_to_checkpoints", "strict_exception_groups")
_OPTIONS: dict[str, tuple[str, ...]] = {
    "asyncio": ("debug", "use_uvloop"), "asyncio+uvloop": ("debug",), "trio": _TRIO_OPTIONS,
}


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
        self._next: _Call | None = None
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

    async def _main(self, first: _Call) -> None:
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
            if call is _STOP:
                break
            with self._trio.CancelScope() as self._scope:
                await self._alone(call)
            self._complete(call)

    async def _run_call(self, call: _Call, group: anyio.abc.TaskGroup | None) -> None:
        if not self.expired:  # a part that runs late is cancelled through the test's scope
            self._scope = self._test_scope
            await super()._run_call(call, group)
            return
        # The time ran out, so the test's scope is cancelled: each later part (asyncTearDown, cleanups) runs
        # shielded from it, in a scope of its own that is cancelled if the part overruns its grace.
        with self._trio.CancelScope(shield=True) as self._scope:
            await super()._run_call(call, group)

    async def _next_call(self) -> _Call:
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
        self._stopping = call is _STOP
        return call

    def _complete(self, call: _Call) -> None:
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

    def _call(self, call: _Call) -> Any:
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
    def _pump_within(self, call: _Call) -> None:
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

    def _expire(self, call: _Call) -> None:
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

    def _start_guest_run(self, first: _Call) -> None:
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
            self._next = _STOP
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
        _ABANDONED.append(self._host)
        vars(self._trio._core._run.GLOBAL_RUN_CONTEXT).clear()
        if self._sigint is not None:
            signal.signal(signal.SIGINT, self._sigint)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


# ------------------------------------------------------------------------------------------------
# the virtual clock: asyncio on a loop whose time jumps (clocks.py), trio on its own MockClock
# ------------------------------------------------------------------------------------------------
def _virtual_session(name: str, options: Mapping[str, Any]) -> Session:
    if name == "asyncio+uvloop":
        raise ClockUnavailable(
            "backend 'asyncio+uvloop' cannot run on the virtual clock: uvloop's timers run inside libuv on its own "
            "clock, which harness cannot move; run this test on 'asyncio' or 'trio', or set clock = \"real\""
        )
    if name == "trio":
        return VirtualTrioSession(name, options)
    return VirtualAsyncioSession(name, options)


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


# ------------------------------------------------------------------------------------------------
# class-scoped loops (loop_scope = "class"): one loop for a class's tests, and a session per test on it
# ------------------------------------------------------------------------------------------------
def open_class_session(spec: BackendSpec) -> Session:
    """A loop for a whole class: its driver runs asyncSetUpClass and asyncTearDownClass, and its task group
    (the class's) stays open in between; each test then gets a session on the same loop (`open_test_session`)."""
    name, options = split_spec(spec)
    with own_resources():
        if name == "trio":
            return TrioClassSession(name, options)
        return AsyncioClassSession(name, options)


def open_test_session(owner: Session) -> Session:
    """One test's session on a class's loop: its own driver task, task group, errors and residual tasks."""
    if isinstance(owner, TrioClassSession):
        return SharedTrioSession(owner)
    assert isinstance(owner, AsyncioClassSession)
    return SharedAsyncioSession(owner)


def run_markers(session: Session) -> tuple[object, ...]:
    """What identifies a session's trio run to crossloop: its TrioToken and main task (none on asyncio)."""
    if not isinstance(session, TrioSession):
        return ()
    return tuple(marker for marker in (session._token, session._task) if marker is not None)


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
                loop.run_until_complete(self._finish_test(pending, bound))
            elif self._driver is not None and not self._driver.done():
                self._waiter.set_result(_STOP)  # type: ignore[union-attr]
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

    async def _finish_test(self, pending: list[asyncio.Task[Any]], bound: float) -> None:
        for task in pending:
            task.cancel()
        waiting: list[asyncio.Future[Any]] = list(pending)
        if self._driver is not None and not self._driver.done():
            if self.stuck is not None:
                self._driver.cancel()
            elif self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(_STOP)
            waiting.append(self._driver)
        if waiting:
            await asyncio.wait(waiting, timeout=bound)


class TrioClassSession(TrioSession):
    """The trio run of a class, in guest mode: its main task runs the class parts and holds a nursery where each
    test's own main task is started."""

    ends_early = False

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.tests: Any = None  # the nursery each test's main task runs in
        self._wake: Any = None

    async def _main(self, first: _Call) -> None:
        async with self._trio.open_nursery() as nursery:
            self.tests = nursery
            await super()._main(first)
            nursery.cancel_scope.cancel()  # a test's task that refused to stop goes with the class

    async def _next_call(self) -> _Call:
        # Wait on an Event, not by polling: the class's driver waits while the tests run, and polling would keep
        # the run from ever sleeping. The host sets it (`_poke`) before handing over a class part.
        while self._next is None:
            self._wake = self._trio.Event()
            await self._wake.wait()
        call, self._next = self._next, None
        self._stopping = call is _STOP
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

    def _start_guest_run(self, first: _Call) -> None:
        self._owner._token.run_sync_soon(self.context.run, self._owner.tests.start_soon, self._main, first)

    async def _main(self, first: _Call) -> None:
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
