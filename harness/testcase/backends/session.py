"""The interface every backend's session implements: one loop for one test, its driver task and its errors.

A `Session` is one fresh loop for one test: `call` runs setUp, the test and tearDown parts in one driver task (so
contextvars set in one part are seen by the next, and `task_group` stays open), and `close` is the enforced teardown.
"""
from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from harness.findings.unhandled import UnhandledError
from harness.reports.records import PendingCallback, ResidualTask
from harness.testcase import timeouts

if TYPE_CHECKING:
    import asyncio

    import anyio.abc

    from harness.testcase.clocks import Clock

__unittest = True  # unittest leaves this module's frames out of a test's traceback

# Tasks that refused cancellation are kept referenced forever: letting them be collected would log
# "Task was destroyed but it is pending!" into whichever test happens to run the garbage collector.
ABANDONED: list[object] = []


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


class Call:
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


STOP = Call(None, (), {})


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
        self._current: Call | None = None
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
    async def _drive(self, first: Call) -> None:
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

    async def _parts(self, call: Call, group: anyio.abc.TaskGroup | None) -> bool:
        """Run the parts the host hands over; True when it handed the stop, False when the driver ended early."""
        while call is not STOP:
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

    async def _run_call(self, call: Call, group: anyio.abc.TaskGroup | None) -> None:
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

    async def _alone(self, call: Call) -> None:
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
        return self._call(Call(fn, args, kwargs))

    def call_last(self, fn: Callable[[], Any], last: Callable[[], bool]) -> Any:
        """`call(fn)`, for a part that may be the test's last async one: `last()`, asked when it is over, says."""
        if not self.ends_early:
            return self.call(fn)
        call = Call(fn, (), {})
        call.last = last
        return self._call(call)

    def _call(self, call: Call) -> Any:
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

    async def _next_call(self) -> Call:
        raise NotImplementedError

    def _complete(self, call: Call) -> None:
        raise NotImplementedError

    def _not_run(self, call: Call) -> RuntimeError:
        return RuntimeError(
            f"{call.name} was not run: the test's task is still stuck in {self.stuck}, which ignored its "
            "cancellation after the test's time ran out"
        )

    def _give_up(self, call: Call) -> None:
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
