"""The hooks probes: `hooks` (sys.stdout, sys.stderr, sys.stdin and the interpreter's hooks) and `trace` (trace
and profile functions)."""
from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

from harness.probes.base import Probe
from harness.reports.report_text import describe

# -- interpreter hooks ----------------------------------------------------------------------------------
_HOOKS: tuple[tuple[str, Any, str], ...] = (
    ("sys.stdout", sys, "stdout"), ("sys.stderr", sys, "stderr"), ("sys.stdin", sys, "stdin"),
    ("sys.excepthook", sys, "excepthook"), ("sys.unraisablehook", sys, "unraisablehook"),
    ("sys.displayhook", sys, "displayhook"), ("sys.breakpointhook", sys, "breakpointhook"),
    ("threading.excepthook", threading, "excepthook"), ("warnings.showwarning", warnings, "showwarning"),
)


# What each hook is in a plain Python process: a test that sets one back to it (`sys.breakpointhook =
# sys.__breakpointhook__`) while harness's stand-in was in place left the process as unittest would.
_DEFAULTS: dict[str, Callable[[], Any]] = {
    "sys.excepthook": lambda: sys.__excepthook__, "sys.unraisablehook": lambda: sys.__unraisablehook__,
    "sys.displayhook": lambda: sys.__displayhook__, "sys.breakpointhook": lambda: sys.__breakpointhook__,
    "threading.excepthook": lambda: threading.__excepthook__,
    "warnings.showwarning": lambda: getattr(warnings, "_showwarning_orig", None),
}


def _harness_own(value: Any) -> bool:
    """Whether a hook is one harness put in place for the run (breakpoint() to its debugger, warnings to its
    collectors): a function or bound method defined in harness."""
    module = getattr(getattr(value, "__func__", value), "__module__", None)
    return isinstance(module, str) and (module == "harness" or module.startswith("harness."))


def _back_to_default(label: str, old: Any, new: Any) -> bool:
    """Harness's stand-in replaced by what the hook is without harness: not a change to the process a test sees."""
    default = _DEFAULTS.get(label)
    return default is not None and new is default() and _harness_own(old)


class HooksProbe(Probe):
    """The standard streams and the interpreter's hooks: replaced and not put back.

    A hook harness stands in for during the run (`sys.breakpointhook`, `warnings.showwarning`) that a test sets
    back to the interpreter's default is what a plain unittest run would have: not reported, and harness's stand-in
    is put back quietly (`settle`), so that breakpoint() still gets the terminal.
    """

    reusable = True  # harness's own showwarning is one function for the run, and the streams are back by now

    name = "hooks"

    def snapshot(self) -> list[Any]:
        return [getattr(owner, attribute) for _, owner, attribute in _HOOKS]

    def diff(self, before: list[Any], after: list[Any]) -> list[str]:
        return [
            f"{label} replaced by {describe(new)}"
            for (label, _, _), old, new in zip(_HOOKS, before, after, strict=True)
            if new is not old and not _back_to_default(label, old, new)
        ]

    def settle(self, before: list[Any], after: list[Any]) -> None:
        for (label, owner, attribute), old, new in zip(_HOOKS, before, after, strict=True):
            if new is not old and _back_to_default(label, old, new):
                setattr(owner, attribute, old)

    def restore(self, before: list[Any], after: list[Any]) -> None:
        for (_, owner, attribute), old in zip(_HOOKS, before, strict=True):
            setattr(owner, attribute, old)


class TraceProbe(Probe):
    """Trace and profile functions, for this thread and for new threads (a coverage tracer stays put)."""

    reusable = True

    name = "trace"
    _GETTERS: ClassVar[tuple[tuple[str, Callable[[], Any], Callable[[Any], Any]], ...]] = (
        ("sys.settrace", sys.gettrace, sys.settrace),
        ("sys.setprofile", sys.getprofile, sys.setprofile),
        ("threading.settrace", threading.gettrace, threading.settrace),
        ("threading.setprofile", threading.getprofile, threading.setprofile),
    )

    def snapshot(self) -> list[Any]:
        return [get() for _, get, _ in self._GETTERS]

    def diff(self, before: list[Any], after: list[Any]) -> list[str]:
        return [
            f"{label} function {'removed' if new is None else 'set to ' + describe(new)}"
            for (label, _, _), old, new in zip(self._GETTERS, before, after, strict=True) if new is not old
        ]

    def restore(self, before: list[Any], after: list[Any]) -> None:
        for (_, _, set_), old, new in zip(self._GETTERS, before, after, strict=True):
            if new is not old:
                set_(old)
