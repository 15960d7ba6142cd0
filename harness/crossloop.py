"""Objects used on another test's event loop: which test's loop made them, and what to do instead.

Every per-test asyncio loop is recorded with the id of its test. When a test fails with one of
asyncio's cross-loop errors, the frames of the traceback are searched for a future, task or other
object bound to a recorded loop of another test, and the failure gets a note naming that test.
"""
from __future__ import annotations

import asyncio
import weakref
from types import TracebackType
from typing import Any

_CROSS_LOOP = (
    "attached to a different loop",
    "is bound to a different event loop",
    "belongs to a different loop",
    "Event loop is closed",
)

_owners: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def record(loop: asyncio.AbstractEventLoop, test_id: str) -> None:
    """Remember which test this loop belongs to (a loop that cannot be weakly referenced is skipped)."""
    try:
        _owners[loop] = test_id
    except TypeError:
        pass


def explain(error: BaseException, test_id: str) -> str | None:
    """A note for a cross-loop failure of `test_id`, naming the test whose loop made the object."""
    text = f"{type(error).__name__}: {error}"
    if not any(phrase in text for phrase in _CROSS_LOOP):
        return None
    owner = _other_owner(error.__traceback__, test_id)
    if owner is None:
        return (
            "note: this object belongs to another event loop; every test gets a fresh loop. Create it in "
            "the test or in asyncSetUp rather than caching it at module or class level."
        )
    return (
        f"note: the object was made on the event loop of {owner}, which ended with that test; every test "
        "gets a fresh loop. Create it in the test or in asyncSetUp rather than caching it at module or "
        "class level."
    )


def _other_owner(tb: TracebackType | None, test_id: str) -> str | None:
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            inner = list(vars(value).values()) if _plain(value) else []  # a connection holding a future
            for candidate in (value, *inner):
                owner = _owner_of(candidate)
                if owner is not None and owner != test_id:
                    return owner
        tb = tb.tb_next
    return None


def _plain(value: Any) -> bool:
    return isinstance(getattr(value, "__dict__", None), dict) and not isinstance(value, type)


def _owner_of(value: Any) -> str | None:
    loop = None
    if isinstance(value, asyncio.AbstractEventLoop):
        loop = value
    elif isinstance(value, asyncio.Future):
        loop = value.get_loop()
    else:
        candidate = getattr(value, "_loop", None) if _plain(value) else None
        if isinstance(candidate, asyncio.AbstractEventLoop):
            loop = candidate
    if loop is None:
        return None
    try:
        return _owners.get(loop)
    except TypeError:
        return None
