"""Attributes rebound during a test: on modules as it happens, on the project's classes by identity snapshot.

Scanning every module's namespace around every test would cost milliseconds in a process with a thousand
modules. Instead each plain module's type is swapped, once, for a subclass whose `__setattr__` and
`__delattr__` note the first value of what they are about to change: a clean test pays nothing, and a
test that rebinds `json.dumps` pays one dict insert. Assignments a module makes to its own globals
(`global x; x = 1`) do not go through `__setattr__`: those are a module's own caches, not a test's doing.

Classes cannot be watched that way (their type is `type`), so the classes defined in the project's own
modules, the ones under the working directory, are snapshot by the identity of their attributes.
Classes of the standard library and of installed packages are covered when they are patched with
`unittest.mock` (the mock probe), not when a test assigns to them directly.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import sysconfig
import types
from typing import Any

MISSING: Any = object()

# Attributes other probes watch and restore better (hooks, streams, paths, tempdir), or that change by design.
_OTHER_PROBES = frozenset({"sys", "warnings", "threading", "tempfile", "builtins", "__main__"})


class _WatchedModule(types.ModuleType):
    """A module whose attribute writes are noted (harness swaps this type in for the run, then back)."""

    def __setattr__(self, name: str, value: Any) -> None:
        _note(self, name)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        _note(self, name)
        super().__delattr__(name)


_notes: dict[tuple[int, str], tuple[Any, str, Any]] = {}
_watched: list[types.ModuleType] = []
_modules_seen = 0
_classes: list[type] = []
_root = os.path.join(os.getcwd(), "")
_installed = tuple(
    os.path.join(path, "") for path in {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib",
                                                                                 "platlib")}
) + (os.path.join(os.path.dirname(__file__), ""), os.path.join(sys.prefix, ""))


def _note(owner: Any, name: str) -> None:
    key = (id(owner), name)
    if key not in _notes and sys._getframe(2).f_code.co_name != "<module>":
        # (a module's top-level code patching another module as it is imported is the library's design)
        _notes[key] = (owner, name, owner.__dict__.get(name, MISSING))


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """The notes of one window (filled while the test runs) and the project classes' attributes."""

    notes: dict[tuple[int, str], tuple[Any, str, Any]]
    classes: list[tuple[type, tuple[Any, ...], tuple[Any, ...]]]


@dataclasses.dataclass(frozen=True)
class Change:
    """One attribute that holds something else than before the test."""

    owner: Any
    name: str
    before: Any
    after: Any

    def describe(self) -> str:
        from harness.probes import describe

        label = f"{_owner_name(self.owner)}.{self.name}"
        if self.after is MISSING:
            return f"{label} deleted"
        return f"{label} replaced by {describe(self.after)}"

    def undo(self) -> None:
        if self.before is MISSING:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.before)


def _owner_name(owner: Any) -> str:
    if isinstance(owner, types.ModuleType):
        return owner.__name__
    return getattr(owner, "__qualname__", repr(owner))


def snapshot() -> Snapshot:
    """Start a new window of notes (the returned dict fills as the test runs) and snapshot the classes."""
    global _notes
    _watch_new_modules()
    _notes = {}
    return Snapshot(notes=_notes, classes=[(c, tuple(vars(c)), tuple(vars(c).values())) for c in _classes])


def changes(before: Snapshot, after: Snapshot) -> list[Change]:
    """What the window between the two snapshots rebound and did not put back."""
    found = [
        Change(owner, name, old, owner.__dict__.get(name, MISSING))
        for owner, name, old in before.notes.values()
        if old is not MISSING and owner.__dict__.get(name, MISSING) is not old
    ]
    for (cls, keys, values), (_, new_keys, new_values) in zip(before.classes, after.classes, strict=False):
        if keys != new_keys or values != new_values:
            found.extend(_class_changes(cls, dict(zip(keys, values, strict=True))))
    return found


def _class_changes(cls: type, old: dict[str, Any]) -> list[Change]:
    now = vars(cls)
    return [Change(cls, name, value, now.get(name, MISSING)) for name, value in old.items()
            if now.get(name, MISSING) is not value]


def _watch_new_modules() -> None:
    """Swap the type of modules imported since the last look (cheap: only when sys.modules grew)."""
    global _modules_seen
    if len(sys.modules) == _modules_seen:
        return
    _modules_seen = len(sys.modules)
    for name, module in list(sys.modules.items()):
        if type(module) is types.ModuleType and name.partition(".")[0] not in _OTHER_PROBES:
            module.__class__ = _WatchedModule
            _watched.append(module)
            _collect_classes(module)


def _collect_classes(module: types.ModuleType) -> None:
    filename = getattr(module, "__file__", None) or ""
    if not filename.startswith(_root) or filename.startswith(_installed):
        return
    import unittest

    for value in list(vars(module).values()):
        # Test classes are left out: their attributes are set by setUpClass, outside any test, and
        # scanning their many methods around every test would cost more than all other probes together.
        if isinstance(value, type) and value.__module__ == module.__name__ and not issubclass(value, unittest.TestCase):
            _classes.append(value)


def unwatch() -> None:
    """Give every watched module its plain type back (the end of a run)."""
    global _modules_seen
    for module in _watched:
        if type(module) is _WatchedModule:
            module.__class__ = types.ModuleType
    _watched.clear()
    _classes.clear()
    _modules_seen = 0
