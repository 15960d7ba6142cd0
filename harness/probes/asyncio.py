"""The `asyncio` probe: the event loop policy and the current event loop."""
from __future__ import annotations

import asyncio
import gc
import types
from typing import Any

from harness.probes.base import NotRestored, Probe
from harness.reports.report_text import describe
from harness.testcase import loops


# -- asyncio -----------------------------------------------------------------------------------------------
class AsyncioProbe(Probe):
    """The asyncio event loop policy, and its current event loop: the loop, and whether one was ever set.

    A policy keeps, per thread, the current loop and whether `set_event_loop` was ever called: until it is,
    `asyncio.get_event_loop()` makes a loop, after it raises. Both are part of the state, and both are restored,
    but for an open loop a test leaves set in its policy: reported and kept, as the process's one loop that older
    suites make with `get_event_loop()` (unset, each later test would make and leak its own).
    """

    reusable = True

    name = "asyncio"

    def snapshot(self) -> tuple[Any, Any, Any]:
        return loops.outer_loop()  # (policy, its current loop, whether set_event_loop was called), making none

    def diff(self, before: tuple[Any, Any, Any], after: tuple[Any, Any, Any]) -> list[str]:
        # No policy yet stands for the default one asyncio makes on first use; a default policy for another
        # default one is no change of policy (a test putting back a fresh default), only their loops may differ.
        if after[0] is not before[0] and not (loops.default_policy(before[0]) and loops.default_policy(after[0])):
            return [f"asyncio event loop policy set to {describe(after[0])}"]
        if after[1] is not before[1] and after[1] is not None:
            if _kept(before, after):
                return [f"asyncio current event loop set to {describe(after[1])} (still open) and left set: kept as "
                        "the process's loop, as plain unittest keeps it; close it at the end of the suite"]
            state = "closed" if after[1].is_closed() else "still open"
            return [f"asyncio current event loop set to {describe(after[1])} ({state}) and left set"]
        # Not reported: the current loop unset (`settle` puts a suite's process loop back: every `asyncio.run()` and
        # stdlib test base unsets it), "set_event_loop was called" with no loop either side (every stdlib runner does
        # that), or a fresh default policy put in (as test bases do to start clean): its loop is the one asyncio
        # would make.
        return []

    def settle(self, before: tuple[Any, Any, Any], after: tuple[Any, Any, Any]) -> None:
        """Put back a suite's process loop, open, that a test unset in the same policy (`asyncio.run()`, a test base's
        tearDown): unset, every later `get_event_loop()` of that suite would raise "There is no current event
        loop". Whether a loop was ever set is left as the test left it: suites rely on `get_event_loop()` raising
        after a runner, as under plain unittest (CPython's test_subprocess does)."""
        loop, local = before[1], getattr(after[0], "_local", None)
        if (after[1] is None and loop is not None and not loop.is_closed() and local is not None
                and loops.same_policy(before[0], after[0])):
            local._loop, local._set_called = loop, True

    def restore(self, before: tuple[Any, Any, Any], after: tuple[Any, Any, Any]) -> None:
        if _kept(before, after):  # a suite's one loop for the process (`get_event_loop().run_until_complete()`):
            raise NotRestored  # unset, every later test would make and leak its own

        policy, loop, set_called = before
        if policy is None and loops.default_policy(after[0]):
            policy = after[0]  # the default one made since stands for none: it gets a fresh one's state below
        if asyncio.events._event_loop_policy is not policy:  # type: ignore[attr-defined]
            asyncio.set_event_loop_policy(policy)
        local = getattr(policy, "_local", None)
        if local is not None:  # the fields themselves: set_event_loop would also note that it was called
            local._loop, local._set_called = loop, bool(set_called)
        _close_dropped(after[1], loop)


def _kept(before: tuple[Any, Any, Any], after: tuple[Any, Any, Any]) -> bool:
    """Whether the test left an open loop set as current, in the policy it started with: kept, not restored."""
    return (loops.same_policy(before[0], after[0]) and after[1] is not before[1] and after[1] is not None
            and not after[1].is_closed())


def _close_dropped(loop: Any, kept: Any) -> None:
    """Close a loop that the restore unset and that nothing else holds, as its garbage collection would.

    Left to the garbage collector it would say "unclosed event loop" during some later test. A loop anything
    else still holds (a module global, an object of the suite) is left open: whoever holds it may use it again.
    """
    if loop is None or loop is kept or loop.is_closed() or loop.is_running():
        return
    referrers = gc.get_referrers(loop)
    for ref in referrers:  # a loop, not a generator: a generator's frame would hold `ref` itself
        if _holds(ref, referrers):
            return
    loop.close()


def _holds(ref: Any, referrers: list[Any]) -> bool:
    """Whether `ref` keeps the loop for someone: not the probe's snapshots or frames, nor the loop's own parts."""
    if type(ref) is tuple or isinstance(ref, types.FrameType | asyncio.Handle):
        return False
    if isinstance(ref, types.MethodType):  # the self-pipe's reader, held by its handle: the loop's own
        return any(holder is not referrers and not isinstance(holder, asyncio.Handle)
                   for holder in gc.get_referrers(ref))
    return True
