"""Global state around each test: probes that snapshot it, diff it and put it back.

A probe is an object with three hooks, each optional (trio's `Instrument` is the model):
`snapshot()` returns what the state is now, `diff(before, after)` says in words what changed, and
`restore(before, after)` puts it back. Probes that cannot restore (a thread still running) set
`restorable = False`, and the report says `restored: false`, never a silent pass.
"""
from __future__ import annotations

import _signal
import asyncio
import gc
import locale
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import types
import warnings
from _locale import setlocale as _read_locale
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from harness.findings import unclosed
from harness.findings.residue import activity, own_resources
from harness.testcase import loops, scopes

MISSING: Any = object()
_open = open  # bound at import: a test may replace builtins.open


class Probe:
    """One piece of global state, watched around every test. Subclass it to add your own.

    Register a probe class in setup.cfg (`[harness] probes = mypackage.probes:RedisProbe`) or with
    `--probes`. The class is created once per run, with no arguments.
    """

    name: ClassVar[str] = ""  # what the report calls it: "environ", "sys.path"
    restorable: ClassVar[bool] = True  # False: changes are reported with restored: false
    # True: `snapshot()` only reads the state, so after a test that changed nothing, the snapshot taken at its
    # end can serve as the next test's (of the same class, so no fixture ran in between) and the probe is
    # called once per test. Leave it False when snapshot() does more than read, or when the state changes
    # between tests by design.
    reusable: ClassVar[bool] = False

    def snapshot(self) -> Any:
        """The state now; taken before each test and again after it."""
        return None

    def diff(self, before: Any, after: Any) -> Sequence[str]:
        """What changed, one line each, in words a user acts on; empty when nothing did."""
        return ()

    def restore(self, before: Any, after: Any) -> None:
        """Put the state back as `before` found it."""

    def settle(self, before: Any, after: Any) -> None:
        """The snapshots differ but `diff` found nothing to report: put back what should not stay (default: nothing).

        For a change that is not the test's doing and not worth a line, but would trouble later tests if left."""

    def close(self) -> None:
        """The run is over: undo whatever the probe set up to watch."""


class NotRestored(Exception):  # noqa: N818 (reads as what happened)
    """Raised by a probe's `restore` that could not put the state back exactly: what it could not restore is left as
    the test left it, and the report says `restored: false`.

    `lines`: which of `diff`'s lines were left, when the others were put back; None (the default): all of them.
    """

    def __init__(self, message: str = "", lines: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.lines = None if lines is None else tuple(lines)


def describe(value: Any) -> str:
    """A short name for a value in a message: a function by its name and where it is defined."""
    code = getattr(value, "__code__", None)
    name = getattr(value, "__qualname__", None)
    if code is not None and name is not None:
        name = name.rpartition("<locals>.")[2]  # a function defined inside the test: its own name is enough
        return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"
    if isinstance(value, type | staticmethod | classmethod) and name is not None:
        return name
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__!r}"
    if value is None or type(value) in (str, bytes, int, float, bool, tuple):
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    kind = type(value)
    return f"{kind.__module__.lstrip('_')}.{kind.__qualname__} object"


# -- the process environment ---------------------------------------------------------------------------
class EnvironProbe(Probe):
    """`os.environ`: variables added, changed or removed."""

    reusable = True

    name = "environ"

    def snapshot(self) -> dict[Any, Any]:
        # The encoded mapping os.environ keeps (a private name; the canary test watches it): copying it costs
        # a fraction of a microsecond where dict(os.environ) decodes every variable.
        return os.environ._data.copy()  # type: ignore[attr-defined]

    def diff(self, before: dict[Any, Any], after: dict[Any, Any]) -> list[str]:
        if before == after:
            return []
        old, new = _decoded(before), _decoded(after)
        lines = [f"os.environ[{k!r}] added ({new[k]!r})" for k in new.keys() - old.keys()]
        lines += [f"os.environ[{k!r}] removed (was {old[k]!r})" for k in old.keys() - new.keys()]
        lines += [
            f"os.environ[{k!r}] changed from {old[k]!r} to {new[k]!r}"
            for k in old.keys() & new.keys() if old[k] != new[k]
        ]
        return sorted(lines)

    def restore(self, before: dict[Any, Any], after: dict[Any, Any]) -> None:
        old, new = _decoded(before), _decoded(after)
        for key in new.keys() - old.keys():
            del os.environ[key]
        for key, value in old.items():
            if new.get(key) != value:
                os.environ[key] = value
        if old.get("TZ") != new.get("TZ"):
            time.tzset()  # the C library read TZ when the test called tzset: it reads it again (harmless if not)


def _decoded(data: dict[Any, Any]) -> dict[str, str]:
    decode = os.environ.decodekey  # type: ignore[attr-defined]
    return {decode(key): os.environ.decodevalue(value) for key, value in data.items()}  # type: ignore[attr-defined]


class CwdProbe(Probe):
    """The working directory."""

    reusable = True

    name = "cwd"

    def __init__(self) -> None:
        activity.hook()
        self._moves = -1  # activity.cwd_moves at the last look: read again only when an event may have moved it
        self._last: str | None = None

    def snapshot(self) -> str | None:
        moves = activity.cwd_moves
        if moves == self._moves:
            return self._last
        self._moves = moves
        try:
            self._last = os.getcwd()
        except FileNotFoundError:  # the test removed the directory it was in
            self._last = None
        return self._last

    def diff(self, before: str | None, after: str | None) -> list[str]:
        if before == after:
            return []
        where = repr(after) if after is not None else "a directory that no longer exists"
        return [f"working directory changed from {before!r} to {where}"]

    def restore(self, before: str | None, after: str | None) -> None:
        if before is not None:
            os.chdir(before)


class _Identity:
    """An object compared by identity inside a snapshot (a list replaced by an equal one is a change)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.obj is self.obj

    __hash__ = None  # type: ignore[assignment]


class _ListProbe(Probe):
    """A list in `sys` (identity and contents), as regrtest's save_env keeps it."""

    reusable = True

    attribute: ClassVar[str] = ""

    def snapshot(self) -> tuple[_Identity, list[Any]]:
        current = getattr(sys, self.attribute)
        return _Identity(current), list(current)  # the list itself and its contents

    def diff(self, before: tuple[_Identity, list[Any]], after: tuple[_Identity, list[Any]]) -> list[str]:
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

    def restore(self, before: tuple[_Identity, list[Any]], after: tuple[_Identity, list[Any]]) -> None:
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


class SignalsProbe(Probe):
    """Signal handlers installed and not put back, and interval timers (`signal.alarm`, `signal.setitimer`) left
    armed: a timer is part of its signal's state, so the two are put back together or not at all."""

    reusable = True

    name = "signals"
    _SIGNALS: ClassVar[tuple[int, ...]] = tuple(
        int(s) for s in signal.Signals
        if s not in (getattr(signal, "SIGKILL", None), getattr(signal, "SIGSTOP", None))
        and not s.name.startswith("SIGRT")
    )
    # Each timer, the name its signal has, and what setting it looks like in a test
    _TIMERS: ClassVar[tuple[tuple[int, str, str], ...]] = tuple(
        (getattr(signal, timer), signal_name, call) for timer, signal_name, call in (
            ("ITIMER_REAL", "SIGALRM", "signal.alarm or setitimer(ITIMER_REAL)"),
            ("ITIMER_VIRTUAL", "SIGVTALRM", "setitimer(ITIMER_VIRTUAL)"),
            ("ITIMER_PROF", "SIGPROF", "setitimer(ITIMER_PROF)"),
        ) if hasattr(signal, timer)
    )

    def snapshot(self) -> list[Any]:
        if threading.current_thread() is not threading.main_thread():
            return []
        # _signal.getsignal returns the raw handler; signal.getsignal wraps it in an enum, 20 times slower
        return [*map(_signal.getsignal, self._SIGNALS), *map(_getitimer, self._TIMERS)]

    def diff(self, before: list[Any], after: list[Any]) -> list[str]:
        if before == after or not before or not after:
            return []
        handlers = len(self._SIGNALS)
        lines = [
            f"signal handler for {signal.Signals(sig).name} set to {_handler(new)} (was {_handler(old)})"
            for sig, old, new in zip(self._SIGNALS, before, after, strict=False) if new is not old and new != old
        ]
        for (_, signal_name, call), old, new in zip(self._TIMERS, before[handlers:], after[handlers:], strict=True):
            if _timer_changed(old, new):
                lines.append(_timer_line(signal_name, call, new))
        return lines

    def restore(self, before: list[Any], after: list[Any]) -> None:
        if not before or not after:
            return
        handlers = len(self._SIGNALS)
        inexact = []
        for (timer, signal_name, _), old, new in zip(self._TIMERS, before[handlers:], after[handlers:], strict=True):
            if not _timer_changed(old, new):
                continue
            if old[0]:  # it was armed: it has run on meanwhile, by how much is not known exactly
                inexact.append(signal_name)
                continue
            signal.setitimer(timer, 0)  # disarmed before its handler is put back: SIG_DFL would end the process
        for sig, old, new in zip(self._SIGNALS, before, after, strict=False):
            if new is not old and new != old and signal.Signals(sig).name not in inexact:
                if old is None:  # installed from C, not from Python: signal.signal cannot put it back
                    raise NotRestored(f"the previous handler of {signal.Signals(sig).name} was not set from Python")
                signal.signal(sig, old)
        if inexact:
            raise NotRestored(f"a timer that was armed before the test was changed ({', '.join(inexact)}): left as the "
                              "test left it, with its signal's handler")


def _getitimer(timer: tuple[int, str, str]) -> tuple[float, float]:
    return signal.getitimer(timer[0])


def _timer_changed(old: tuple[float, float], new: tuple[float, float]) -> bool:
    """Armed by the test: armed where it was not, or set again (an armed timer's time left only goes down). A timer
    that went off or was disarmed is not a change: one that was armed before the test may simply have fired."""
    return bool(new[0]) and (not old[0] or old[1] != new[1] or new[0] > old[0] + 0.001)


def _timer_line(signal_name: str, call: str, new: tuple[float, float]) -> str:
    every = f", then every {new[1]:.3g} s" if new[1] else ""
    return f"timer left armed ({call}): {signal_name} in {new[0]:.3g} s{every}"


def _handler(handler: Any) -> str:
    if handler is signal.default_int_handler:
        return "signal.default_int_handler"
    if (getattr(handler, "__module__", None) == "harness.run.interrupts"
            and getattr(handler, "__name__", "") == "_handle"):
        return "harness's Ctrl-C handler"  # a run in one process (--pdb) has it; a worker has Python's default one
    names = {int(signal.SIG_DFL): "SIG_DFL", int(signal.SIG_IGN): "SIG_IGN"}
    return names.get(handler, "None") if isinstance(handler, int) or handler is None else describe(handler)


# -- logging and warnings -----------------------------------------------------------------------------
_LoggerState = tuple[int, list[logging.Handler], bool, bool, list[Any]]
_UNTOUCHED: _LoggerState = (logging.NOTSET, [], False, True, [])  # a logger made during the test, as it was made


class LoggingProbe(Probe):
    """Loggers: handlers and filters added or removed, levels, `disabled`, `propagate`, and `logging.disable`."""

    reusable = True

    name = "logging"

    def __init__(self) -> None:
        self._known = -1
        self._loggers: dict[str, logging.Logger] = {}

    def snapshot(self) -> tuple[int, dict[str, tuple[logging.Logger, _LoggerState]]]:
        registry = logging.root.manager.loggerDict
        if len(registry) != self._known:  # loggers are only ever added: look again when there are more
            self._known = len(registry)
            self._loggers = {"root": logging.root, **{
                name: logger for name, logger in registry.items() if isinstance(logger, logging.Logger)
            }}
        return logging.root.manager.disable, {
            name: (logger, (logger.level, list(logger.handlers), logger.disabled, logger.propagate,
                            list(logger.filters)))
            for name, logger in self._loggers.items()
        }

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = []
        if before[0] != after[0]:
            lines.append(f"logging.disable({logging.getLevelName(after[0])}) called (was {before[0]})")
        for name, (logger, new) in after[1].items():
            old = before[1].get(name, (logger, _UNTOUCHED))[1]
            if new != old:
                lines.extend(_logger_changes(name, old, new))
        return lines

    def restore(self, before: Any, after: Any) -> None:
        logging.disable(before[0])
        for name, (logger, new) in after[1].items():
            old = before[1].get(name, (logger, _UNTOUCHED))[1]
            if new != old:
                level, handlers, disabled, propagate, filters = old
                logger.setLevel(level)  # (which also empties the level cache of every logger)
                logger.handlers[:] = handlers
                logger.filters[:] = filters
                logger.disabled, logger.propagate = disabled, propagate


def _logger_changes(name: str, old: _LoggerState, new: _LoggerState) -> list[str]:
    label = "the root logger" if name == "root" else f"logger {name!r}"
    lines = [f"{label}: handler {describe(h)} added" for h in new[1] if h not in old[1]]
    lines += [f"{label}: handler {describe(h)} removed" for h in old[1] if h not in new[1]]
    if new[0] != old[0]:
        lines.append(f"{label}: level set to {logging.getLevelName(new[0])} (was {logging.getLevelName(old[0])})")
    if new[2] != old[2]:
        lines.append(f"{label}: {'disabled' if new[2] else 'enabled'}")
    if new[3] != old[3]:
        lines.append(f"{label}: propagate set to {new[3]}")
    lines += [f"{label}: filter {describe(f)} added" for f in new[4] if f not in old[4]]
    lines += [f"{label}: filter {describe(f)} removed" for f in old[4] if f not in new[4]]
    return lines


class WarningsProbe(Probe):
    """The warnings filters (`simplefilter`, `filterwarnings`) changed and not put back."""

    reusable = True  # harness keeps its filter list from one test to the next (residue.UnawaitedCoroutines)

    name = "warnings"

    def snapshot(self) -> tuple[_Identity, list[Any]]:
        return _Identity(warnings.filters), list(warnings.filters)

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


# -- threads, processes, descriptors: reported, never restored ----------------------------------------
# Idle workers these libraries keep on purpose, and harness's own helpers.
_POOLED_THREADS = ("Trio thread ", "AnyIO worker thread", "harness-")


class ThreadsProbe(Probe):
    """Threads the test started that are still running."""

    reusable = True

    name = "threads"
    restorable = False

    def snapshot(self) -> frozenset[threading.Thread]:
        return frozenset(threading.enumerate())

    def diff(self, before: frozenset[threading.Thread], after: frozenset[threading.Thread]) -> list[str]:
        new = [t for t in after - before
               if t.is_alive() and not t.name.startswith(_POOLED_THREADS) and not _loop_pooled(t)]
        _let_leave([t for t in new if _leaving(t)], _GRACE)
        _let_leave(new, _EXIT_GRACE)  # a thread that waits on one the test's teardown just ended
        return sorted(
            f"thread {t.name!r} ({describe(getattr(t, '_target', None) or type(t))}) is still running"
            for t in new if t.is_alive()
        )


_GRACE = 1.0  # seconds, in all, that the threads on their way out of one test get to finish


def _leaving(thread: threading.Thread) -> bool:
    """A worker of an executor that was shut down or dropped: it exits once it wakes (as a loop's default
    executor's idle threads do a moment after the loop closed)."""
    if not _executor_worker_thread(thread):
        return False
    executor = _executor_of(thread)
    return executor is None or bool(getattr(executor, "_shutdown", False))


def _loop_pooled(thread: threading.Thread) -> bool:
    """An idle worker of an event loop's default executor that is still in use (`run_in_executor(None, ...)` on a
    loop a suite keeps for a whole class, as asyncpg's tests do): the loop's pool, kept on purpose like trio's, not
    the doing of the test that happened to grow it. It goes when the loop is closed."""
    if not _executor_worker_thread(thread):
        return False
    executor = _executor_of(thread)
    return (executor is not None and not getattr(executor, "_shutdown", True)
            and getattr(executor, "_thread_name_prefix", None) == "asyncio")


def _executor_worker_thread(thread: threading.Thread) -> bool:
    return _EXECUTOR_WORKER is not None and getattr(thread, "_target", None) is _EXECUTOR_WORKER


def _executor_of(thread: threading.Thread) -> Any:
    args = getattr(thread, "_args", ())
    return args[0]() if args and callable(args[0]) else None  # the worker holds its executor weakly


def _let_leave(threads: list[threading.Thread], grace: float) -> None:
    """Give `threads` up to `grace` seconds in all to end."""
    deadline = time.monotonic() + grace
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def _executor_worker() -> Any:
    try:
        from concurrent.futures import thread
    except ImportError:  # pragma: no cover  # a Python without threads
        return None
    return thread._worker  # type: ignore[attr-defined]


_EXECUTOR_WORKER = _executor_worker()


def _proc_listing(path: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(path))
    except OSError:
        return frozenset()


class ProcessesProbe(Probe):
    """Child processes the test started that are still running (Linux: /proc).

    /proc is read only after an audit event says a process may have been started (harness.findings.residue.Activity).
    """

    reusable = True

    name = "processes"
    restorable = False

    def __init__(self) -> None:
        activity.hook()
        self._last: frozenset[int] = frozenset()

    def snapshot(self) -> frozenset[int]:
        if activity.processes:
            activity.processes = False
            self._last = _children()
        return self._last

    def diff(self, before: frozenset[int], after: frozenset[int]) -> list[str]:
        plumbing = _resource_tracker()[0]
        left = _still_running(sorted(pid for pid in after - before if pid != plumbing))
        return [f"child process {pid} ({_command(pid)}) is still running" for pid in left]


_EXIT_GRACE = 0.1  # seconds the children, threads and descriptors a test left get to go (a Manager told to shut down)


def _still_running(pids: list[int]) -> list[int]:
    """The children among `pids` still running after a short bounded grace: one on its way out is not left behind."""
    return _after_grace(pids, lambda left: sorted(set(left) & _children()))


T = TypeVar("T")


def _after_grace(items: list[T], present: Callable[[list[T]], list[T]]) -> list[T]:
    """The `items` still `present` after up to _EXIT_GRACE seconds in all of waiting for them to go."""
    deadline = time.monotonic() + _EXIT_GRACE
    items = present(items)
    while items and time.monotonic() < deadline:
        time.sleep(0.005)
        items = present(items)
    return items


def _resource_tracker() -> tuple[int | None, int | None]:
    """multiprocessing's resource tracker, (its pid, the pipe to it), when it runs: one process for the life of the
    interpreter, started by the first use of multiprocessing that needs it (a Queue, shared memory), by design. Like
    uvloop's pipe, it is plumbing, not something the test that happened to start it left behind."""
    tracker = getattr(sys.modules.get("multiprocessing.resource_tracker"), "_resource_tracker", None)
    pid, fd = getattr(tracker, "_pid", None), getattr(tracker, "_fd", None)
    return (pid if isinstance(pid, int) else None), (fd if isinstance(fd, int) else None)


def _children() -> frozenset[int]:
    children: set[int] = set()
    for tid in _proc_listing("/proc/self/task"):
        try:
            with _open(f"/proc/self/task/{tid}/children", encoding="ascii") as file:
                children.update(int(pid) for pid in file.read().split())
        except OSError:
            continue
    return frozenset(pid for pid in children if _running(pid))


def _running(pid: int) -> bool:
    """Not a zombie: a child that exited and was never waited for is not running anything."""
    try:
        with _open(f"/proc/{pid}/stat", "rb") as file:
            return file.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def _open_descriptors() -> frozenset[str]:
    """Open descriptors, without the one the listing itself used (closed again by the time we look).

    The listing opens the lowest free descriptor: open and close one first to learn its number.
    """
    with own_resources():  # our own open must not tell the probe that the test opened something
        try:
            lowest = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return frozenset()
        os.close(lowest)
        return _proc_listing("/proc/self/fd") - {str(lowest)}


def _descriptor_count() -> int | None:
    """How many descriptors are open: the size Linux (6.2 and later) gives /proc/self/fd; None where it gives 0.

    Read through a descriptor of the folder kept open (fstat costs a third of a stat that walks /proc/self each
    time); it is this process's own (opened again after a fork, or when a test closed it) and counts itself.
    """
    held = _count_folder
    if held[0] == _getpid():
        try:
            found = os.fstat(held[1])
            if found.st_ino == held[2] and found.st_dev == held[3]:
                return found.st_size - 1 if found.st_size else None
        except OSError:
            pass  # a test closed it (and may have opened something else under its number: that is left alone)
    try:
        with own_resources():
            fd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        found = os.fstat(fd)
    except OSError:
        return None
    held[:] = [_getpid(), fd, found.st_ino, found.st_dev]
    return found.st_size - 1 if found.st_size else None


def _counts_descriptors() -> bool:
    """Whether Linux gives /proc/self/fd a size (6.2 and later), found without keeping anything open."""
    try:
        return os.stat("/proc/self/fd").st_size > 0
    except OSError:
        return False


_count_folder: list[int] = [0, -1, 0, 0]  # pid, descriptor, inode and device of the /proc/self/fd kept open
_getpid = os.getpid


def own_descriptors() -> frozenset[int]:
    """The descriptor the fds probe keeps open to count the others (none in a process that has not counted)."""
    return frozenset({_count_folder[1]}) if _count_folder[0] == _getpid() else frozenset()


def _command(pid: int) -> str:
    for name in ("cmdline", "comm"):  # cmdline is empty for a moment while the child execs
        try:
            with _open(f"/proc/{pid}/{name}", "rb") as file:
                text = file.read().replace(b"\0", b" ").decode(errors="replace").strip()[:80]
        except OSError:
            continue
        if text:
            return text
    return "?"


class FilesProbe(Probe):
    """File descriptors the test opened and left open (Linux: /proc/self/fd)."""

    name = "fds"
    restorable = False
    # Where Linux gives the count, a snapshot is a plain reading (the count moved, or an event came, or the last
    # listing stands), so the end of a clean test serves as the next one's start; elsewhere before is listed again.
    reusable = _counts_descriptors()

    def __init__(self) -> None:
        activity.hook()
        scopes.watching_sockets = True  # a class loop's sockets are its class's, checked when it ends
        self._last: frozenset[str] = frozenset()
        self._count: int | None = None  # how many were open at the last listing, where Linux says (6.2 and later)
        self._before_taken = False  # snapshots alternate: before a test, after it

    def snapshot(self) -> frozenset[str]:
        # The listing is read again only when an audit event says a file or socket may have been opened
        # (harness.findings.residue.Activity), or when the number of open descriptors moved (os.pipe, os.dup and
        # select.epoll raise no event): a test that opened nothing keeps the listing the last one took.
        count = _descriptor_count()
        if count is None:  # an older kernel: listed before every test, and after it on an event
            stale = activity.descriptors or not self._before_taken
            self._before_taken = not self._before_taken
        else:
            stale = activity.descriptors or count != self._count
        if stale:
            activity.descriptors = False
            self._last = _open_descriptors()
            self._count = count
        return self._last

    def diff(self, before: frozenset[str], after: frozenset[str]) -> list[str]:
        lines = []
        # selectors and self-pipes kept for the next loops, and the probe's own /proc/self/fd
        kept = {str(fd) for fd in loops.kept_descriptors() | own_descriptors() | {_resource_tracker()[1]}}
        for fd in _still_open(sorted(after - before - kept, key=int)):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue  # the descriptor the listing itself used, or one closed since
            if scopes.hold(int(fd), target):  # a socket on a class's loop: the class's, checked when it ends
                continue
            lines.append(f"file descriptor {fd} ({target}) left open")
        return lines

    def close(self) -> None:
        scopes.watching_sockets = False


def _still_open(fds: list[str]) -> list[str]:
    """The descriptors among `fds` still open after a short bounded grace, when another thread runs that may be
    closing them: a server a fixture started in a thread closes its side of the test's last connection a moment
    after the test's teardown closed its own."""
    if threading.active_count() <= 1:
        return fds
    return _after_grace(fds, lambda left: [fd for fd in left if os.path.lexists(f"/proc/self/fd/{fd}")])


class WorkingFilesProbe(Probe):
    """Files and folders the test created under the working directory and left, or removed there.

    A file the test removed and wrote again (a class fixture run again in a cleanup) was there before and is there
    after: neither. Seen from audit events as the test makes them (harness.findings.residue.Activity), not by listing
    the directory: a clean test costs nothing, and files other processes write there are not the test's.
    Reported, never restored: harness does not delete files.
    """

    reusable = False  # its snapshot before each test tells what fixtures made between tests (one look, no listing)

    name = "files"
    restorable = False

    def __init__(self) -> None:
        activity.hook()
        self._moves = -1  # activity.cwd_moves at the last look
        self._last: tuple[str | None, dict[str, None], dict[str, str | None]] | None = None
        self._before = True  # the next snapshot is a test's first (they alternate: before it, after it)
        # Folders that fixtures made between tests (setUpModule's scratch folder): what tests write or remove inside
        # them is the fixture's to clean up, as its tearDownModule does (CPython's test_tarfile)
        self._scratch: list[str] = []

    def snapshot(self) -> tuple[str | None, dict[str, None], dict[str, str | None]]:
        # The dicts returned are the ones filled from now on, while the test runs (the rebinding notes' way). When
        # nothing was noted since the last look and the directory cannot have moved, that look stands, dicts and all.
        before, self._before = self._before, not self._before
        last, moves = self._last, activity.cwd_moves
        if (last is not None and moves == self._moves and last[1] is activity.created and last[2] is activity.removed
                and not activity.created and not activity.removed):
            return last
        if before:  # what was noted since the last test ended: fixtures' doing
            self._scratch += [os.path.join(path, "") for path in activity.created if os.path.isdir(path)]
        self._moves = moves
        activity.created, activity.removed, activity.since = {}, {}, time.time()
        try:
            cwd: str | None = os.getcwd()
        except OSError:
            cwd = None
        self._last = (cwd, activity.created, activity.removed)
        return self._last

    def diff(self, before: tuple[str | None, dict[str, None], dict[str, str | None]],
             after: tuple[str | None, dict[str, None], dict[str, str | None]]) -> list[str]:
        cwd, created, removed = before
        if cwd is None:
            return []
        inside = os.path.join(cwd, "")
        scratch = tuple(self._scratch)
        return [
            f"{_kind(path)} {os.path.relpath(path, cwd)!r} created in the working directory and left there"
            for path in created if path.startswith(inside) and path not in removed and os.path.lexists(path)
            and not path.startswith(scratch)
        ] + [
            f"{removed[path] or 'file'} {os.path.relpath(path, cwd)!r} removed from the working directory"
            for path in removed if path.startswith(inside) and path not in created and not os.path.lexists(path)
            and not path.startswith(scratch)
        ]


def _kind(path: str) -> str:
    return "folder" if os.path.isdir(path) and not os.path.islink(path) else "file"


# -- single values ---------------------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def _set_umask(mask: int) -> None:
    os.umask(mask)


def _locale() -> str:
    return _read_locale(locale.LC_ALL)  # the C function: locale.setlocale's Python wrapper doubles the cost


def _set_locale(value: str) -> None:
    locale.setlocale(locale.LC_ALL, value)


def _set_tempdir(value: str | None) -> None:
    tempfile.tempdir = value


def _get_tempdir() -> str | None:
    return tempfile.tempdir


def _gc_state() -> tuple[bool, tuple[int, ...]]:
    return gc.isenabled(), gc.get_threshold()


def _set_gc_state(state: tuple[bool, tuple[int, ...]]) -> None:
    (gc.enable if state[0] else gc.disable)()
    gc.set_threshold(*state[1])


_VALUES: tuple[tuple[str, Callable[[], Any], Callable[[Any], Any]], ...] = (
    ("socket.setdefaulttimeout", socket.getdefaulttimeout, socket.setdefaulttimeout),
    ("os.umask", _umask, _set_umask),
    ("sys.setrecursionlimit", sys.getrecursionlimit, sys.setrecursionlimit),
    ("sys.setswitchinterval", sys.getswitchinterval, sys.setswitchinterval),
    ("sys.set_int_max_str_digits", sys.get_int_max_str_digits, sys.set_int_max_str_digits),
    ("tempfile.tempdir", _get_tempdir, _set_tempdir),
    ("locale.setlocale", _locale, _set_locale),
    ("gc (enabled, thresholds)", _gc_state, _set_gc_state),
)


class SettingsProbe(Probe):
    """Process-wide settings: default socket timeout, umask, recursion limit, tempdir, locale, gc."""

    reusable = True

    name = "settings"

    def __init__(self) -> None:
        tempfile.gettempdir()  # fills tempfile.tempdir, a lazy cache, now rather than during some test

    def snapshot(self) -> list[Any]:
        return [get() for _, get, _ in _VALUES]

    def diff(self, before: list[Any], after: list[Any]) -> list[str]:
        if before == after:
            return []
        return [
            f"{label} changed from {_value(old, label)} to {_value(new, label)}"
            for (label, _, _), old, new in zip(_VALUES, before, after, strict=True) if old != new
        ]

    def restore(self, before: list[Any], after: list[Any]) -> None:
        for (_, _, set_), old, new in zip(_VALUES, before, after, strict=True):
            if old != new:
                set_(old)


def _value(value: Any, label: str) -> str:
    return oct(value) if label == "os.umask" else repr(value)


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


class UnclosedProbe(Probe):
    """ResourceWarnings raised while the test ran: sockets, files, connections, transports and event loops it left
    for the garbage collector (harness.findings.unclosed), each with where it was allocated when tracemalloc is on."""

    name = "unclosed"
    restorable = False

    def __init__(self) -> None:
        activity.hook()
        self._catcher = unclosed.Catcher()
        self._catcher.install()

    def snapshot(self) -> int:
        return self._catcher.look()

    def diff(self, before: int, after: int) -> list[str]:
        return self._catcher.seen[before:after]

    def close(self) -> None:
        self._catcher.uninstall()


# The unclosed probe before fds: its collection at the end of a test closes what the test dropped before fds looks.
BUILTIN: tuple[type[Probe], ...] = (
    EnvironProbe, CwdProbe, SysPathProbe, MetaPathProbe, PathHooksProbe, ModulesProbe, HooksProbe, TraceProbe,
    SignalsProbe, LoggingProbe, WarningsProbe, AsyncioProbe, MockProbe, AttributesProbe, ThreadsProbe, ProcessesProbe,
    UnclosedProbe, FilesProbe, WorkingFilesProbe, SettingsProbe,
)
