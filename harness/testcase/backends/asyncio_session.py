"""asyncio's session (and uvloop's): a fresh loop per test, with a creation-site task factory and an error collector."""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import threading
from collections.abc import Callable, Mapping
from typing import Any

from harness.findings.callbacks import CallbackSites
from harness.findings.sites import TaskSites, await_chain, coro_name, format_site
from harness.findings.unhandled import UnhandledError
from harness.reports.records import ResidualTask
from harness.testcase import loops, timeouts
from harness.testcase.backends import uvloop_loop
from harness.testcase.backends.session import ABANDONED, STOP, Call, LoopMisuse, Session, Teardown
from harness.testcase.clocks import Clock, WallTimer

__unittest = True  # unittest leaves this module's frames out of a test's traceback

Timer = asyncio.TimerHandle | WallTimer  # the time limit's timers: the loop's own, or wall timers on the virtual clock

# Bound at import: a test may replace these and not put them back before its teardown, which must not use its fakes.
_all_tasks, _current_task, _wait, _wait_for = asyncio.all_tasks, asyncio.current_task, asyncio.wait, asyncio.wait_for
_new_task = asyncio.Task
_ThreadPoolExecutor = concurrent.futures.ThreadPoolExecutor


def _new_asyncio_loop(name: str) -> asyncio.AbstractEventLoop:
    if name == "asyncio":
        return loops.new_event_loop()
    return uvloop_loop.new_loop()


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
        self._waiter: asyncio.Future[Call] | None = None
        self._alone_task: asyncio.Task[None] | None = None  # the part running on its own after the driver ended
        self._inflight: Call | None = None
        # One timer for the test's deadline, on the loop's clock but checked against the wall clock when it fires.
        self._timer: Timer | None = None
        self._grace_timer: Timer | None = None

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        return _new_asyncio_loop(self.backend)

    async def _next_call(self) -> Call:
        self._waiter = self.loop.create_future()
        return await self._waiter

    def _complete(self, call: Call) -> None:
        call.finished = True
        if call.future is not None and not call.future.done():
            call.future.set_result(None)

    ends_early = True  # a class's session and the tests on it keep their own teardown

    def _may_end_early(self) -> bool:
        return (not self.expired and self.stuck is None and not self._has_shutdown_work()
                and all(task is self._driver for task in _all_tasks(self.loop)))

    def _call(self, call: Call) -> Any:
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

    def _hand_over(self, call: Call) -> None:
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

    def _misused(self, call: Call, error: RuntimeError) -> None:
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
        through the loop's class, past the hooks that note where the test's own callbacks come from (findings.callbacks'
        CallbackSites): this one is harness's."""
        loop = self.loop
        return type(loop).call_at(loop, loop.time() + seconds, callback, *args)

    def _watch(self, call: Call) -> None:
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

    def _expire(self, call: Call, error: timeouts.TimeLimitExceeded) -> None:
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
                self._waiter.set_result(STOP)  # type: ignore[union-attr]
                loop.run_until_complete(self._driver)
            residual = self._settle(pending, described)
            if self._driver is not None and not self._driver.done():
                ABANDONED.append(self._driver)
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
        await self._cancel_and_wait(pending, bound)
        await self._bounded(self.loop.shutdown_asyncgens(), bound, "async generators did not finish closing")
        if getattr(self.loop, "_default_executor", True) is not None:
            await self._bounded(
                self._shutdown_executor(), bound,
                "the default executor still had work running (a run_in_executor or to_thread call)",
            )

    async def _cancel_and_wait(self, pending: list[asyncio.Task[Any]], bound: float) -> None:
        """Cancel the tasks left and stop the driver (once more, if it is stuck), then wait for them within `bound`."""
        for task in pending:
            task.cancel()
        waiting: list[asyncio.Future[Any]] = list(pending)
        if self._driver is not None and not self._driver.done():
            if self.stuck is not None:
                self._driver.cancel()  # once more: it is still in the part that ignored the first one
            elif self._waiter is not None and not self._waiter.done():
                self._waiter.set_result(STOP)
            waiting.append(self._driver)
        if waiting:
            await _wait(waiting, timeout=bound)

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
        ABANDONED.extend(task for task in pending if not task.done())
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
