"""The attribute probes: `mock` (unittest.mock patchers started and never stopped) and `attributes`
(attributes of modules and of the project's classes rebound or deleted; findings.rebinding notes them)."""
from __future__ import annotations

import os
import sys
from typing import Any

from harness.probes.base import NotRestored, Probe
from harness.reports.report_text import describe


# -- attributes rebound on modules and classes, and mock patchers left running -----------------------------
class MockProbe(Probe):
    """`unittest.mock` patchers started and never stopped; restoring stops them, which puts the target back."""

    reusable = True

    name = "mock"

    def snapshot(self) -> list[Any]:
        return list(_active_patchers())

    def diff(self, before: list[Any], after: list[Any]) -> list[str]:
        return [f"{_patch_target(p)} and never stopped" for p in after if p not in before]

    def restore(self, before: list[Any], after: list[Any]) -> None:
        for patcher in reversed(after):
            if patcher not in before:
                patcher.stop()


def _active_patchers() -> list[Any]:
    mock = sys.modules.get("unittest.mock")  # not imported: no patcher can be running
    return mock._patch._active_patches if mock is not None else []  # type: ignore[attr-defined, no-any-return]


def _patch_owner(patcher: Any) -> Any:
    try:
        return patcher.getter()
    except Exception:
        return None


def _patch_target(patcher: Any) -> str:
    if not hasattr(patcher, "attribute"):  # mock.patch.dict
        target = getattr(patcher, "in_dict", None)
        name = "os.environ" if target is os.environ else describe(target)
        return f"{name} patched by unittest.mock.patch.dict"
    target = _patch_owner(patcher)
    owner = getattr(target, "__name__", None) or type(target).__name__
    return f"{owner}.{patcher.attribute} patched by unittest.mock"


class AttributesProbe(Probe):
    """Attributes of modules (any module) and of the project's classes rebound or deleted and not put back.

    Modules are watched as they change, not scanned: see harness.findings.rebinding. New attributes are not
    reported (lazy caches add them); a rebinding is, with what it now holds and where that is defined.
    """

    reusable = True

    name = "attributes"

    def __init__(self) -> None:
        from harness.findings import rebinding

        self._rebinding = rebinding

    def snapshot(self) -> Any:
        return self._rebinding.snapshot()

    def diff(self, before: Any, after: Any) -> list[str]:
        patched = {  # the mock probe names those
            (id(_patch_owner(p)), p.attribute) for p in _active_patchers() if hasattr(p, "attribute")
        }
        return [change.describe() for change in self._rebinding.changes(before, after)
                if (id(change.owner), change.name) not in patched]

    def restore(self, before: Any, after: Any) -> None:
        left = []
        for change in self._rebinding.changes(before, after):
            if change.on_test_class:
                left.append(change.describe())
            else:
                change.undo()
        if left:
            raise NotRestored("a test class's attributes are the suite's own to set", left)

    def close(self) -> None:
        self._rebinding.unwatch()
