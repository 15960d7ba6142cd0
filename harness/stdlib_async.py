"""Residual-task reporting and bounded teardown for the stdlib's IsolatedAsyncioTestCase, outcomes unchanged.

The only module that touches IsolatedAsyncioTestCase's private hooks (`_callSetUp`, `_asyncioRunner`,
`_tearDownAsyncioRunner`); the canary test in tests/ fails loudly if a Python release renames them.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import unittest
from collections.abc import Callable, Iterator
from typing import Any

from harness import crossloop
from harness.backends import _ABANDONED
from harness.outcome import Findings
from harness.residue import TaskSites, own_resources

_Case = unittest.IsolatedAsyncioTestCase
# Bound at import: a test may replace these and not put them back before its teardown, which must not use its fakes.
_all_tasks, _wait, _wait_for = asyncio.all_tasks, asyncio.wait, asyncio.wait_for


@contextlib.contextmanager
def enforced(bound: Callable[[], float]) -> Iterator[None]:
    """While active, IsolatedAsyncioTestCase records tasks left running and never waits on them forever."""
    original_set_up = _Case._callSetUp  # type: ignore[attr-defined]
    original_tear_down = _Case._tearDownAsyncioRunner  # type: ignore[attr-defined]

    def set_up(case: _Case) -> None:
        with own_resources():  # the runner's loop, made here: its descriptors are closed by its teardown
            loop = case._asyncioRunner.get_loop()  # type: ignore[attr-defined]
        crossloop.record(loop, case.id())
        sites = TaskSites()
        loop.set_task_factory(sites.factory)
        case.harness_findings = Findings()  # type: ignore[attr-defined]
        case.addCleanup(_close, case, loop, bound())  # first, so it runs after every other cleanup
        case.addCleanup(_check, case, loop, sites, bound())
        original_set_up(case)

    def tear_down(case: _Case) -> None:
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
            return original_tear_down(case)
        _close_abandoning(loop, bound())  # Runner.close() would wait forever on a task refusing to stop
        case._asyncioRunner = None  # type: ignore[attr-defined]  # else __del__ closes it again on a closed loop
        return None

    _Case._callSetUp = set_up  # type: ignore[attr-defined]
    _Case._tearDownAsyncioRunner = tear_down  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _Case._callSetUp = original_set_up  # type: ignore[attr-defined]
        _Case._tearDownAsyncioRunner = original_tear_down  # type: ignore[attr-defined]


def _check(case: _Case, loop: asyncio.AbstractEventLoop, sites: TaskSites, bound: float) -> None:
    """Record the tasks a test left, cancel them within the bound; never changes the test's outcome."""
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
    _ABANDONED.extend(refused)
    case.harness_findings = Findings(residual_tasks=tuple(  # type: ignore[attr-defined]
        dataclasses.replace(described[t], refused_cancel=True) if t in refused else described[t] for t in pending
    ))


def _close(case: _Case, loop: asyncio.AbstractEventLoop, bound: float) -> None:
    """Close the test's loop before the test ends (the stdlib does it after), so the state probes see it closed."""
    runner = case._asyncioRunner  # type: ignore[attr-defined]
    if runner is None or loop.is_closed():
        return
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
