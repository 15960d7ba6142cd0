"""Objects used on another test's event loop: which test's loop made them, and what to do instead.

Every per-test loop (an asyncio loop, or a trio run through its TrioToken and main task) is recorded with
the id of its test, and every class-scoped loop with its class. When a test fails with one of asyncio's or
trio's cross-loop errors, the frames of the traceback are searched for a future, task, token or other
object bound to a recorded loop that is not the test's own, and the failure gets a note naming its owner
and saying what to do.
"""
from __future__ import annotations

import asyncio
import dataclasses
import weakref
from types import TracebackType
from typing import Any, Literal

_ASYNCIO_ERRORS = (
    "attached to a different loop",
    "is bound to a different event loop",
    "belongs to a different loop",
    "Event loop is closed",
)
# trio: a trio function called where no run is active (a sync part of the test, or after the run ended),
# and a TrioToken of a run that has ended.
_TRIO_ERRORS = ("must be called from async context", "RunFinishedError", "run() has exited")

_SHARE = 'share it between the tests of one class with loop_scope = "class" (create it in asyncSetUpClass)'


@dataclasses.dataclass(frozen=True)
class Owner:
    """Whose loop made an object: a test's (its id) or a class's (loop_scope = "class")."""

    name: str
    scope: Literal["test", "class"] = "test"

    def describe(self, what: str) -> str:
        if self.scope == "class":
            return f"the {what} of class {self.name} (loop_scope = \"class\"), which ended with asyncTearDownClass"
        return f"the {what} of {self.name}, which ended with that test"


_owners: weakref.WeakKeyDictionary[Any, Owner] = weakref.WeakKeyDictionary()


def record(loop: object, owner: str, scope: Literal["test", "class"] = "test") -> None:
    """Remember whose loop this is: an asyncio loop, a trio run's TrioToken or main task (an object that cannot
    be weakly referenced is skipped)."""
    try:
        _owners[loop] = Owner(owner, scope)
    except TypeError:
        pass


def explain(error: BaseException, test_id: str, class_name: str = "") -> str | None:
    """A note for a cross-loop failure of `test_id`, naming whose loop made the object when it can be told.

    `class_name` is the test's class when it runs on a class-scoped loop, whose objects are its own.
    """
    text = f"{type(error).__name__}: {error}"
    if any(phrase in text for phrase in _TRIO_ERRORS):
        return _trio_note(text, _other_owner(error.__traceback__, test_id, class_name))
    if any(phrase in text for phrase in _ASYNCIO_ERRORS):
        return _asyncio_note(_other_owner(error.__traceback__, test_id, class_name))
    return None


def _asyncio_note(owner: Owner | None) -> str:
    if owner is None:
        return (
            "note: this object belongs to another event loop; every test gets a fresh loop. Create it in the "
            f"test or in asyncSetUp, or {_SHARE}, rather than caching it at module or class level."
        )
    return (
        f"note: the object was made on {owner.describe('event loop')}; every test gets a fresh loop. Create it "
        f"in the test or in asyncSetUp, or {_SHARE}, rather than caching it at module or class level."
    )


def _trio_note(text: str, owner: Owner | None) -> str:
    if owner is not None:
        where = f"the object was made in {owner.describe('trio run')}"
    elif "must be called from async context" in text:
        where = ("a trio function was called outside any trio run (on trio, setUp, tearDown, sync tests and "
                 "sync cleanups run outside the run), or on an object of a run that has ended")
    else:
        where = "the object belongs to a trio run that has ended"
    return (
        f"note: {where}; every test gets a fresh trio run. Call trio from the test's async parts, and create "
        f"the object in the test or in asyncSetUp, or {_SHARE}, rather than caching it at module or class level."
    )


def _other_owner(tb: TracebackType | None, test_id: str, class_name: str) -> Owner | None:
    mine = {Owner(test_id), Owner(class_name, "class")}
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            inner = list(vars(value).values()) if _plain(value) else []  # a connection holding a future
            for candidate in (value, *inner):
                owner = _owner_of(candidate)
                if owner is not None and owner not in mine:
                    return owner
        tb = tb.tb_next
    return None


def _plain(value: Any) -> bool:
    return isinstance(getattr(value, "__dict__", None), dict) and not isinstance(value, type)


def _owner_of(value: Any) -> Owner | None:
    for key in _keys(value):
        try:
            owner = _owners.get(key)
        except TypeError:
            continue
        if owner is not None:
            return owner
    return None


def _keys(value: Any) -> list[Any]:
    """The recorded objects `value` may be: itself, its asyncio loop, or (a trio task) itself and its parents."""
    if isinstance(value, asyncio.AbstractEventLoop):
        return [value]
    if isinstance(value, asyncio.Future):
        return [value.get_loop()]
    if type(value).__module__.startswith("trio") and type(value).__name__ == "Task":
        return _trio_lineage(value)
    candidate = getattr(value, "_loop", None) if _plain(value) else None
    if isinstance(candidate, asyncio.AbstractEventLoop):
        return [candidate]
    return [value] if type(value).__name__ == "TrioToken" else []


def _trio_lineage(task: Any) -> list[Any]:
    """A trio task and the tasks above it, up to its run's root (through public attributes only)."""
    found = []
    for _ in range(100):
        if task is None:
            break
        found.append(task)
        nursery = getattr(task, "parent_nursery", None)
        task = getattr(nursery, "parent_task", None)
    return found
