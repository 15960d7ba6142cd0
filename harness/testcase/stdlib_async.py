"""Residual-task reporting, time limits and bounded teardown for the stdlib's IsolatedAsyncioTestCase.

The only module that touches IsolatedAsyncioTestCase's private hooks (`_callSetUp`, `_callAsync`,
`_callMaybeAsync`, `_asyncioRunner`, `_tearDownAsyncioRunner`); the canary test in tests/ fails loudly if a
Python release renames them. Outcomes are the stdlib's, except that an async part still running at the
test's time limit is cancelled on the test's loop and the test errors with "timed out after S s".
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import unittest
from collections.abc import Callable, Iterator
from typing import Any

from harness.findings.activity import own_resources
from harness.findings.callbacks import CallbackSites
from harness.findings.sites import TaskSites, await_chain, coro_name, format_site
from harness.reports.records import Findings
from harness.testcase import crossloop, timeouts
from harness.testcase.backends.session import ABANDONED
from harness.testcase.loops import OuterLoop, outer_loop, put_back

__unittest = True  # unittest leaves this module's frames out of a test's traceback

_Case = unittest.IsolatedAsyncioTestCase
# Bound at import: a test may replace these and not put them back before its teardown, which must not use its fakes.
_all_tasks, _wait, _wait_for = asyncio.all_tasks, asyncio.wait, asyncio.wait_for


@dataclasses.dataclass
class _TimeLimit:
    """One test's limit: a wall-clock deadline from its set-up; after it, each later part gets `grace` seconds."""

    limit: timeouts.Limit
    deadline: float
    grace: float
    sites: TaskSites
    expired: bool = False


_LIMIT = "_harness_time_limit"  # the attribute holding a test's _TimeLimit while it runs


@contextlib.contextmanager
def enforced(bound: Callable[[], float],
             limit_of: Callable[[unittest.TestCase], timeouts.Limit | None] = lambda test: None) -> Iterator[None]:
    """While active, IsolatedAsyncioTestCase records tasks left running, never waits on them forever, and
    cancels an async part still running at the test's time limit (`limit_of`)."""
    original_set_up = _Case._callSetUp  # type: ignore[attr-defined]
    original_tear_down = _Case._tearDownAsyncioRunner  # type: ignore[attr-defined]
    original_call_async = _Case._callAsync  # type: ignore[attr-defined]
    original_call_maybe_async = _Case._callMaybeAsync  # type: ignore[attr-defined]

    def set_up(case: _Case) -> None:
        _watch(case, bound, limit_of)
        original_set_up(case)

    def tear_down(case: _Case) -> None:
        return _tear_down(case, bound, original_tear_down)

    def call_async(case: _Case, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return original_call_async(case, _limited(case, func), *args, **kwargs)

    def call_maybe_async(case: _Case, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return original_call_maybe_async(case, _limited(case, func), *args, **kwargs)

    _Case._callSetUp = set_up  # type: ignore[attr-defined]
    _Case._tearDownAsyncioRunner = tear_down  # type: ignore[attr-defined]
    _Case._callAsync = call_async  # type: ignore[attr-defined]
    _Case._callMaybeAsync = call_maybe_async  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _Case._callSetUp = original_set_up  # type: ignore[attr-defined]
        _Case._tearDownAsyncioRunner = original_tear_down  # type: ignore[attr-defined]
        _Case._callAsync = original_call_async  # type: ignore[attr-defined]
        _Case._callMaybeAsync = original_call_maybe_async  # type: ignore[attr-defined]


def _watch(case: _Case, bound: Callable[[], float],
           limit_of: Callable[[unittest.TestCase], timeouts.Limit | None]) -> None:
    """Before the stdlib's set-up: note where the loop's tasks and callbacks come from, start the test's time limit,
    and add the cleanups that check the loop and close it."""
    outer = outer_loop()  # the suite's process loop, if any: the runner unsets it, _close puts it back
    with own_resources():  # the runner's loop, made here: its descriptors are closed by its teardown
        loop = case._asyncioRunner.get_loop()  # type: ignore[attr-defined]
    crossloop.record(loop, case.id())
    sites = TaskSites()
    loop.set_task_factory(sites.factory)
    callbacks = CallbackSites()
    callbacks.hook(loop)
    limit = limit_of(case)
    setattr(case, _LIMIT, None if limit is None else _TimeLimit(limit, timeouts.now() + limit.seconds, bound(),
                                                               sites))
    case.harness_findings = Findings()  # type: ignore[attr-defined]
    case.addCleanup(_close, case, loop, bound(), callbacks, outer)  # first, so it runs after every other cleanup
    case.addCleanup(_check, case, loop, sites, bound())


def _tear_down(case: _Case, bound: Callable[[], float], original: Callable[[_Case], Any]) -> Any:
    """The stdlib's `_tearDownAsyncioRunner`, unless its loop is gone or has tasks refusing to stop."""
    if case._asyncioRunner is None:  # type: ignore[attr-defined]  # closed by _check, inside the test
        return None
    try:
        loop = case._asyncioRunner.get_loop()  # type: ignore[attr-defined]
    except Exception:  # no loop could be made (a policy that refuses): the test's setUp failed already, saying why
        loop = None
    if loop is None or loop.is_closed():  # Runner.close() would fail here, outside the test, and end the worker
        case._asyncioRunner = None  # type: ignore[attr-defined]
        return None
    if not _all_tasks(loop):
        return original(case)
    _close_abandoning(loop, bound())  # Runner.close() would wait forever on a task refusing to stop
    case._asyncioRunner = None  # type: ignore[attr-defined]  # else __del__ closes it again on a closed loop
    return None


def extend_limit(case: unittest.TestCase, seconds: float) -> None:
    """Give the running test `seconds` more before its time limit: the time a debugger held it (run.debugging)."""
    state: _TimeLimit | None = getattr(case, _LIMIT, None)
    if state is not None and not state.expired:
        state.deadline += seconds


def _limited(case: _Case, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func`, an async part of the test, cancelled on the test's loop if it still runs at the limit."""
    state: _TimeLimit | None = getattr(case, _LIMIT, None)
    if state is None or not asyncio.iscoroutinefunction(func):
        return func
    part = f"{type(case).__qualname__}.{getattr(func, '__name__', 'part')}"

    async def limited(*args: Any, **kwargs: Any) -> Any:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        reasons: list[timeouts.TimeLimitExceeded] = []

        def expire() -> None:
            if state.expired:
                reasons.append(timeouts.overran(part, state.grace))
            elif state.deadline > timeouts.now():  # a debugger held the test: its deadline moved
                timer[0] = loop.call_later(state.deadline - timeouts.now(), expire)
                return
            else:
                state.expired = True
                reasons.append(timeouts.exceeded(state.limit, part, _task_blocks(loop, task, state.sites)))
            task.cancel()  # type: ignore[union-attr]

        left = state.grace if state.expired else state.deadline - timeouts.now()
        timer = [loop.call_later(max(0.0, left), expire)]  # the stdlib's loops run on the real clock
        try:
            return await func(*args, **kwargs)
        except asyncio.CancelledError:
            if reasons:
                raise reasons[0] from None
            raise
        finally:
            timer[0].cancel()

    return limited


def _task_blocks(loop: asyncio.AbstractEventLoop, own: asyncio.Task[Any] | None, sites: TaskSites) -> list[str]:
    """Where each task of the test's loop waits: the part's own task first."""
    blocks = []
    for task in sorted(_all_tasks(loop), key=lambda task: (task is not own, task.get_name())):
        if task is own:
            title = f"task {task.get_name()!r}, running the test's part"
        else:
            title = (f"task {task.get_name()!r} running {coro_name(task.get_coro())} "
                     f"(created at {format_site(sites.sites.get(task))})")
        blocks.append(timeouts.task_block(title, await_chain(task.get_coro())))
    return blocks


def _check(case: _Case, loop: asyncio.AbstractEventLoop, sites: TaskSites, bound: float) -> None:
    """Record the tasks a test left, cancel them within the bound; never changes the test's outcome."""
    try:
        _record_and_cancel(case, loop, sites, bound)
    finally:
        sites.release()


def _record_and_cancel(case: _Case, loop: asyncio.AbstractEventLoop, sites: TaskSites, bound: float) -> None:
    if loop.is_closed():
        return
    pending = list(_all_tasks(loop))
    if not pending:
        return
    described = {task: sites.residual(task) for task in pending}
    for task in pending:
        task.cancel()
    loop.run_until_complete(_wait(pending, timeout=bound))
    refused = [task for task in pending if not task.done()]
    ABANDONED.extend(refused)
    case.harness_findings = Findings(residual_tasks=tuple(  # type: ignore[attr-defined]
        dataclasses.replace(described[t], refused_cancel=True) if t in refused else described[t] for t in pending
    ))


def _close(case: _Case, loop: asyncio.AbstractEventLoop, bound: float, callbacks: CallbackSites,
           outer: OuterLoop) -> None:
    """Close the test's loop before the test ends (the stdlib does it after), so the state probes see it closed;
    first record and cancel the callbacks the test left scheduled on it. The current loop is `outer` again."""
    try:
        _close_runner(case, loop, bound, callbacks)
    finally:
        put_back(outer, exact=False)


def _close_runner(case: _Case, loop: asyncio.AbstractEventLoop, bound: float, callbacks: CallbackSites) -> None:
    runner = case._asyncioRunner  # type: ignore[attr-defined]
    if runner is None or loop.is_closed():
        callbacks.release(loop)
        return
    try:
        pending = callbacks.settle(loop)
    finally:
        callbacks.release(loop)
    if pending:
        case.harness_findings = dataclasses.replace(  # type: ignore[attr-defined]
            findings_of(case), pending_callbacks=pending)
    try:
        if _all_tasks(loop):
            _close_abandoning(loop, bound)
        else:
            runner.close()  # resets the current loop through the policy, which the test may have made refuse
    finally:
        if not loop.is_closed():
            loop.close()
        case._asyncioRunner = None  # type: ignore[attr-defined]  # its tear-down and __del__ have nothing left to do


def _close_abandoning(loop: asyncio.AbstractEventLoop, bound: float) -> None:
    async def shut_down() -> None:
        with contextlib.suppress(TimeoutError):
            await _wait_for(loop.shutdown_asyncgens(), bound)
        with contextlib.suppress(TimeoutError):
            await _wait_for(loop.shutdown_default_executor(), bound)

    try:
        loop.run_until_complete(shut_down())
    finally:
        try:
            asyncio.set_event_loop(None)
        finally:
            loop.close()


def findings_of(case: Any) -> Findings:
    """What enforced teardown recorded for a test of any class (nothing for a plain sync TestCase)."""
    findings = getattr(case, "harness_findings", None)
    return findings if isinstance(findings, Findings) else Findings()
