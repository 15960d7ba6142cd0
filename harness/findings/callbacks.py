"""Loop callbacks a test left scheduled (call_soon, call_later, call_at): where each was scheduled, and what is
still pending at teardown."""
from __future__ import annotations

import asyncio
import collections
import functools
import gc
import types
import weakref
from typing import Any

from harness.findings.sites import Site, caller_site, format_location, format_site
from harness.reports.records import PendingCallback

# -- loop callbacks a test left scheduled ----------------------------------------------------------------
# Callbacks defined in these packages are the loop's own or a library's plumbing (asyncio's timeouts and futures,
# anyio's, uvloop's, harness's), never what a test scheduled.
_OWN_PACKAGES = frozenset({"asyncio", "_asyncio", "uvloop", "anyio", "harness", "concurrent"})
_quick_kinds: set[type] = set()  # callback types the hooks pass over at once: a task's steps (nearly every call)
# call_soon passes over builtin methods too: a C task's wake-ups are; a test's `call_soon(future.set_result, x)` then
# has no recorded site, and runs in the next turn of the loop anyway (a timer's is recorded)
_quick_soon: set[type] = {types.BuiltinMethodType}
# What run_until_complete's future schedules as it finishes, once in every test: asyncio's own
_UNTIL_COMPLETE = getattr(asyncio.base_events, "_run_until_complete_cb", None)
_HANDLE_KINDS = ("Handle", "TimerHandle")  # the handles of a loop without _ready and _scheduled (uvloop's)


def own_callback(callback: Any) -> bool:
    """Whether a scheduled callback is the loop's own or a library's (a task's step or wake-up, asyncio's timeouts,
    a future's done callbacks in asyncio), not one the test scheduled."""
    if callback is None:  # a handle whose callable could not be found: nothing to name or blame
        return True
    kind = type(callback)
    if kind in _quick_kinds or kind.__name__ == "TaskStepMethWrapper":
        _quick_kinds.add(kind)
        _quick_soon.add(kind)
        return True
    while isinstance(callback, functools.partial):
        callback = callback.func
    if getattr(callback, "__name__", None) == "task_wakeup":  # a C task's wake-up, a builtin method
        return True
    module = getattr(callback, "__module__", None)
    return isinstance(module, str) and module.partition(".")[0] in _OWN_PACKAGES


def callback_name(callback: Any) -> str:
    """A readable name: `Cache.refresh` (a function or a bound method), `functools.partial(refresh)`,
    `lambda at tests/test_x.py:12`, `Future.set_result`, `Ticker.__call__` (an object)."""
    if isinstance(callback, functools.partial):
        return f"functools.partial({callback_name(callback.func)})"
    function = getattr(callback, "__func__", callback)
    code = getattr(function, "__code__", None)
    qualname = getattr(function, "__qualname__", None)
    if code is not None and getattr(function, "__name__", None) == "<lambda>":
        return f"lambda at {format_location(code.co_filename, code.co_firstlineno)}"
    if isinstance(qualname, str):
        owner = getattr(callback, "__self__", None)
        bound = owner is not None and not isinstance(owner, type | types.ModuleType)  # not a module's function
        if code is None and bound and "." not in qualname:
            return f"{type(owner).__qualname__}.{qualname}"  # a builtin method: its __qualname__ may lack the class
        return qualname
    if callable(callback):
        return f"{type(callback).__qualname__}.__call__"
    return repr(callback)[:200]


class CallbackSites:
    """Where a test scheduled the callbacks of its loop (`call_soon`, `call_later`, `call_at`), recorded by hooks on
    the loop object, and what it left pending at the end.

    The hooks are instance attributes of a loop written in Python (asyncio's, and loops made like it): uvloop's
    cannot take them, so its callbacks are found and cancelled but where they were scheduled is unknown. A task's
    steps and wake-ups, nearly every call, pass through at the cost of one set lookup.
    """

    def __init__(self) -> None:
        # id(handle) -> (where, a weak reference that drops the entry when the handle goes)
        self.sites: dict[int, tuple[Site | None, weakref.ref[Any]]] = {}
        self.hooked = False

    def hook(self, loop: asyncio.AbstractEventLoop) -> None:
        """Record where every callback the test schedules on `loop` was scheduled."""
        soon, at, note = loop.call_soon, loop.call_at, self._note
        quick, quick_soon, until_complete = _quick_kinds, _quick_soon, _UNTIL_COMPLETE

        def call_soon(callback: Any, *args: Any, context: Any = None) -> Any:
            handle = soon(callback, *args, context=context)
            if type(callback) not in quick_soon and callback is not until_complete:
                note(handle, callback)
            return handle

        def call_at(when: float, callback: Any, *args: Any, context: Any = None) -> Any:
            handle = at(when, callback, *args, context=context)
            if type(callback) not in quick:
                note(handle, callback)
            return handle

        try:
            loop.call_soon, loop.call_at = call_soon, call_at  # type: ignore[method-assign]
        except AttributeError:  # a loop written in C or Cython (uvloop): no instance attributes
            return
        self.hooked = True

    def _note(self, handle: Any, callback: Any) -> None:
        try:
            if own_callback(callback):
                return
        except Exception:  # noqa: BLE001 (an odd callable's attributes raised: the test's call_soon must not)
            pass
        sites, key = self.sites, id(handle)
        sites[key] = (caller_site(), weakref.ref(handle, lambda _, key=key: sites.pop(key, None)))

    def release(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take the hooks off the loop (they hold it in a cycle) and forget the sites."""
        if self.hooked:
            for name in ("call_soon", "call_at"):
                loop.__dict__.pop(name, None)
            self.hooked = False
        self.sites.clear()

    def settle(self, loop: asyncio.AbstractEventLoop) -> tuple[PendingCallback, ...]:
        """The test's callbacks still pending on `loop`, described and cancelled.

        Callbacks ready to run first get the one turn of the loop that its shutdown would give them under unittest
        (a test's last `call_soon`); what is still pending after it is the test's: timers not yet due, and callbacks
        that schedule themselves again.
        """
        if loop.is_closed() or loop.is_running():
            return ()
        pending = _pending(loop)
        if any(not hasattr(handle, "when") for handle in pending):
            loop.call_soon(loop.stop)
            loop.run_forever()
            pending = _pending(loop)
        now = loop.time()
        found = tuple(self._describe(handle, now) for handle in pending)
        for handle in pending:
            handle.cancel()
        return found

    def _describe(self, handle: Any, now: float) -> PendingCallback:
        entry = self.sites.get(id(handle))
        site = entry[0] if entry is not None and entry[1]() is handle else None
        due = round(max(0.0, handle.when() - now), 3) if hasattr(handle, "when") else None
        try:
            name = callback_name(_callback_of(handle))
        except Exception:  # noqa: BLE001 (a callable whose attributes raise: name it by its type)
            name = f"{type(_callback_of(handle)).__qualname__} object"
        return PendingCallback(name, format_site(site), due)


def _pending(loop: asyncio.AbstractEventLoop) -> list[Any]:
    """The handles on `loop` not cancelled whose callbacks are not the loop's own, in the order they would run."""
    ready, scheduled = getattr(loop, "_ready", None), getattr(loop, "_scheduled", None)
    if ready is None or scheduled is None:
        ready, scheduled = _held_by(loop)
    timers = sorted((h for h in scheduled if not h.cancelled()), key=lambda h: h.when())
    return [h for h in (*ready, *timers) if not h.cancelled() and not _own(h)]


def _own(handle: Any) -> bool:
    try:
        return own_callback(_callback_of(handle))
    except Exception:  # noqa: BLE001 (a callable whose attributes raise: the test's all the same)
        return False


def _held_by(loop: object) -> tuple[list[Any], list[Any]]:
    """A C or Cython loop's ready handles and timers (uvloop keeps them in a deque and a set), found among the
    objects it refers to, as the garbage collector sees them."""
    ready: list[Any] = []
    timers: list[Any] = []
    for held in gc.get_referents(loop):
        if isinstance(held, collections.deque | set | frozenset):
            for item in held:
                name = type(item).__name__
                if name in _HANDLE_KINDS:
                    (timers if name == "TimerHandle" else ready).append(item)
    return ready, timers


def _callback_of(handle: Any) -> Any:
    """The callable a handle runs: asyncio's `_callback`; else (uvloop) the first callable it refers to that is
    neither its loop, its context nor the loop's libuv timer."""
    callback = getattr(handle, "_callback", None)
    if callback is not None:
        return callback
    loop = getattr(handle, "_loop", None)
    for held in gc.get_referents(handle):
        if callable(held) and held is not loop and not isinstance(held, asyncio.AbstractEventLoop) \
                and type(held).__name__[:2] != "UV":
            return held
    return None
