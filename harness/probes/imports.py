"""The import probes: `sys.path`, `sys.meta_path`, `sys.path_hooks`, and modules removed from or replaced in
`sys.modules`."""
from __future__ import annotations

import sys
import types
from typing import Any, ClassVar

from harness.probes.base import Probe
from harness.reports.report_text import describe


class Identity:
    """An object compared by identity inside a snapshot (a list replaced by an equal one is a change)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Identity) and other.obj is self.obj

    __hash__ = None  # type: ignore[assignment]


class _ListProbe(Probe):
    """A list in `sys` (identity and contents), as regrtest's save_env keeps it."""

    reusable = True

    attribute: ClassVar[str] = ""

    def snapshot(self) -> tuple[Identity, list[Any]]:
        current = getattr(sys, self.attribute)
        return Identity(current), list(current)  # the list itself and its contents

    def diff(self, before: tuple[Identity, list[Any]], after: tuple[Identity, list[Any]]) -> list[str]:
        name = f"sys.{self.attribute}"
        if before[0] != after[0]:
            return [f"{name} replaced by another list"]
        old, new = before[1], after[1]
        if old == new:
            return []
        added = [describe(item) for item in new if item not in old]
        removed = [describe(item) for item in old if item not in new]
        lines = [f"{name}: {item} added" for item in added] + [f"{name}: {item} removed" for item in removed]
        return lines or [f"{name} reordered"]

    def restore(self, before: tuple[Identity, list[Any]], after: tuple[Identity, list[Any]]) -> None:
        original = before[0].obj
        original[:] = before[1]
        setattr(sys, self.attribute, original)


class SysPathProbe(_ListProbe):
    name = "sys.path"
    attribute = "path"


class MetaPathProbe(_ListProbe):
    name = "sys.meta_path"
    attribute = "meta_path"


class PathHooksProbe(_ListProbe):
    name = "sys.path_hooks"
    attribute = "path_hooks"


class ModulesProbe(Probe):
    """`sys.modules`: modules removed or replaced (new imports are normal and not reported).

    Only modules that were there before the first test are watched, and only module objects: an entry a test added
    (an import, `None` to block one, a stub object) was let by as an addition, and putting it back after a later
    test removed it would bring back what that earlier test left (CPython's test_importlib: `object()` left as
    `sys.modules['spam']`, and on 3.12 a fixture's module `mod`, put back after each test that cleaned it away,
    failing the next ones).
    """

    reusable = True

    name = "sys.modules"

    def __init__(self) -> None:
        self._last: tuple[tuple[str, ...], tuple[Any, ...]] | None = None
        self._first: frozenset[str] | None = None  # the names in sys.modules at the first snapshot, before any test

    def snapshot(self) -> tuple[tuple[str, ...], tuple[Any, ...]]:
        # Copies at C speed (a dict copy compares slower). When the modules are the ones the last snapshot saw, in
        # the same order, that snapshot is returned again: no copy of the names, and the comparison after the test
        # is an identity check. (The same modules in the same order under other names would need the last module
        # removed and put back under a new name: that is not told apart.)
        modules = sys.modules
        if self._first is None:
            self._first = frozenset(modules)
        values = tuple(modules.values())
        last = self._last
        if last is not None and values == last[1]:
            return last
        self._last = (tuple(modules), values)
        return self._last

    def diff(self, before: tuple[tuple[str, ...], tuple[Any, ...]],
             after: tuple[tuple[str, ...], tuple[Any, ...]]) -> list[str]:
        count = len(before[0])
        if after[0][:count] == before[0] and after[1][:count] == before[1]:
            return []  # only additions: a dict keeps its old entries first, so this is the common case, in C
        old = {name: module for name, module in zip(*before, strict=True) if self._watched(name, module)}
        new = dict(zip(*after, strict=True))
        lines = [f"sys.modules[{name!r}] removed" for name in old.keys() - new.keys()]
        lines += [
            f"sys.modules[{name!r}] replaced by {describe(new[name])}"
            for name in old.keys() & new.keys() if new[name] is not old[name]
        ]
        return sorted(lines)

    def restore(self, before: tuple[tuple[str, ...], tuple[Any, ...]],
                after: tuple[tuple[str, ...], tuple[Any, ...]]) -> None:
        for name, module in zip(*before, strict=True):
            if self._watched(name, module) and sys.modules.get(name) is not module:
                sys.modules[name] = module

    def _watched(self, name: str, module: Any) -> bool:
        return isinstance(module, types.ModuleType) and (self._first is None or name in self._first)
