"""Objects used on another test's event loop: which test's loop made them, and what to do instead.

Every per-test loop (an asyncio loop, or a trio run through its TrioToken and main task) is recorded with
the id of its test, and every class-scoped loop with its class. When a test fails, the frames of every
traceback in the exception chain are searched for a future, task, token or other object (or one of its
attributes, in `__dict__` or `__slots__`) bound to a recorded loop that is not the test's own; when one is
found, or when an error of the chain is one of asyncio's or trio's cross-loop errors, the failure gets a
note naming the owner when it is known and saying what to do.
"""
from __future__ import annotations

import asyncio
import dataclasses
import weakref
from types import ModuleType
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

    The whole exception chain is read (`__cause__`, `__context__`, the members of exception groups): a library
    often raises its own error ("another operation is in progress") from the loop's. A failure whose text says
    nothing about loops gets a note only when its frames hold an object bound to another test's loop.
    `class_name` is the test's class when it runs on a class-scoped loop, whose objects are its own.
    """
    chain = _chain(error)
    texts = [f"{type(e).__name__}: {e}" for e in chain]
    found = _other_owner(chain, test_id, class_name)
    trio_text = next((t for t in texts if any(phrase in t for phrase in _TRIO_ERRORS)), None)
    if trio_text is not None:
        return _trio_note(trio_text, found[0] if found else None)
    if found is not None:
        owner, what = found
        return _asyncio_note(owner, what)
    if any(phrase in text for text in texts for phrase in _ASYNCIO_ERRORS):
        return _asyncio_note(None, "")
    return None


def _chain(error: BaseException) -> list[BaseException]:
    """`error`, the errors it was raised from or while handling, and the members of groups, each once."""
    found: list[BaseException] = []
    waiting = [error]
    seen: set[int] = set()
    while waiting and len(found) < 50:
        current = waiting.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        waiting.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            waiting.extend(current.exceptions)
    return found


def _asyncio_note(owner: Owner | None, what: str) -> str:
    if owner is None:
        return (
            "note: this object belongs to another event loop; every test gets a fresh loop. Create it in the "
            f"test or in asyncSetUp, or {_SHARE}, rather than caching it at module or class level."
        )
    return (
        f"note: {what} used here was made on {owner.describe('event loop')}; every test gets a fresh loop. Create "
        f"it in the test or in asyncSetUp, or {_SHARE}, rather than caching it at module or class level."
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


def _other_owner(chain: list[BaseException], test_id: str, class_name: str) -> tuple[Owner, str] | None:
    """The first object in the frames of the chain's tracebacks (or one of its attributes, through `__dict__` or
    `__slots__`) bound to a recorded loop that is not the test's own: that loop's owner, and what the object is."""
    mine = {Owner(test_id), Owner(class_name, "class")}
    for error in chain:
        tb = error.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                try:
                    found = _bound_to_other(value, mine)
                except Exception:  # noqa: BLE001 (a proxy that raises on a look: not what we are after)
                    continue
                if found is not None:
                    return found
            tb = tb.tb_next
    return None


def _bound_to_other(value: Any, mine: set[Owner]) -> tuple[Owner, str] | None:
    for candidate in (value, *_attributes(value)):  # a connection holding a future, or its loop
        owner = _owner_of(candidate)
        if owner is not None and owner not in mine:  # named by what the test would know it as
            bound = isinstance(candidate, asyncio.Future | asyncio.AbstractEventLoop)
            return owner, _what(value if bound or candidate is value else candidate)
    return None


def _attributes(value: Any) -> list[Any]:
    """What an object holds, one level down: its `__dict__` values and its `__slots__` (asyncpg's Connection and Pool
    have no `__dict__`). Classes and modules are not looked into."""
    if isinstance(value, type | ModuleType):
        return []
    found = list(vars(value).values()) if isinstance(getattr(value, "__dict__", None), dict) else []
    for name in _slot_names(type(value)):
        try:
            found.append(object.__getattribute__(value, name))
        except (AttributeError, TypeError):  # a slot never set
            continue
    return found


_slots: dict[type, tuple[str, ...]] = {}


def _slot_names(kind: type) -> tuple[str, ...]:
    names = _slots.get(kind)
    if names is None:
        names = tuple(name for base in kind.__mro__ for name in _declared_slots(base) if name not in ("__dict__",
                                                                                                     "__weakref__"))
        _slots[kind] = names
    return names


def _declared_slots(kind: type) -> tuple[str, ...]:
    slots = vars(kind).get("__slots__", ())
    return (slots,) if isinstance(slots, str) else tuple(s for s in slots if isinstance(s, str))


def _what(value: Any) -> str:
    """`the asyncpg.pool.Pool`, `the asyncio Future`: what a note calls the object it found."""
    kind = type(value)
    if isinstance(value, asyncio.Future):
        return f"the asyncio {'Task' if isinstance(value, asyncio.Task) else 'Future'}"
    if isinstance(value, asyncio.AbstractEventLoop):
        return "the event loop"
    module = kind.__module__
    return f"the {kind.__qualname__}" if module == "builtins" else f"the {module}.{kind.__qualname__}"


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
    candidate = _loop_attribute(value)
    if isinstance(candidate, asyncio.AbstractEventLoop):
        return [candidate]
    return [value] if type(value).__name__ == "TrioToken" else []


def _loop_attribute(value: Any) -> Any:
    """`value._loop` (asyncio's own classes and most libraries name it so), read without running a property."""
    if isinstance(value, type | ModuleType) or value is None:
        return None
    holder = getattr(value, "__dict__", None)
    if isinstance(holder, dict) and "_loop" in holder:
        return holder["_loop"]
    if "_loop" in _slot_names(type(value)):
        try:
            return object.__getattribute__(value, "_loop")
        except (AttributeError, TypeError):
            return None
    return None


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
