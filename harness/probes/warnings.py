"""The `warnings` probe: the warnings filters."""
from __future__ import annotations

import warnings
from typing import Any

from harness.probes.base import Probe
from harness.probes.imports import Identity


class WarningsProbe(Probe):
    """The warnings filters (`simplefilter`, `filterwarnings`) changed and not put back."""

    reusable = True  # harness keeps its filter list from one test to the next (unhandled.UnawaitedCoroutines)

    name = "warnings"

    def snapshot(self) -> tuple[Identity, list[Any]]:
        return Identity(warnings.filters), list(warnings.filters)

    def diff(self, before: Any, after: Any) -> list[str]:
        if before[0] == after[0] and before[1] == after[1]:
            return []
        added = [f"warnings filter {_filter(f)} added" for f in after[1] if f not in before[1]]
        removed = [f"warnings filter {_filter(f)} removed" for f in before[1] if f not in after[1]]
        if added or removed:
            return added + removed
        if before[1] and after[1] and before[1][0] != after[1][0]:
            return [f"warnings filter {_filter(after[1][0])} moved to the front (simplefilter or filterwarnings)"]
        return ["warnings.filters reordered or replaced by another list"]

    def restore(self, before: Any, after: Any) -> None:
        before[0].obj[:] = before[1]
        warnings.filters = before[0].obj
        warnings._filters_mutated()  # type: ignore[attr-defined]  # as catch_warnings does, so caches see it


def _filter(entry: tuple[Any, ...]) -> str:
    action, message, category, module, line = entry
    parts = [repr(action), getattr(category, "__name__", str(category))]
    if message is not None and getattr(message, "pattern", ""):
        parts.append(f"message={message.pattern!r}")
    if module is not None and getattr(module, "pattern", ""):
        parts.append(f"module={module.pattern!r}")
    return f"({', '.join(parts)})"
