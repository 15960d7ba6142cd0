"""Whether the project's code names an attribute: read once from the bytecode of the modules it imported.

harness opens `self.task_group` for a test only when some code could use it. The anyio task group costs an
import of anyio (~15 ms a run) and a cancel scope per test; a suite that never names `task_group` pays
neither. "The project's code" is every module outside the standard library, site-packages and the async
libraries: the tests and the helpers beside them, wherever they live. A name counts when a function or method
loads, stores or deletes it as an attribute or global, or holds it as a string constant
(`getattr(self, "task_group")`). Code that builds the name at run time, or lives in an installed package, is
not seen: a class says `open_task_group = True` for those (docs/base-classes.md).
"""
from __future__ import annotations

import itertools
import os
import sys
import sysconfig
import types
from typing import Any

# Where installed code lives: the standard library, site-packages, the interpreter's prefix, and harness itself.
INSTALLED: tuple[str, ...] = tuple(
    os.path.join(path, "") for path in {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib",
                                                                                 "platlib")}
) + (os.path.join(os.path.dirname(__file__), ""), os.path.join(sys.prefix, ""))

_FUNCTION = types.FunctionType
_WRAPPERS = frozenset({staticmethod, classmethod, types.MethodType})
_HOLDERS = _WRAPPERS | {_FUNCTION, property}  # the values _in_value looks into
_CODE = itertools.repeat(types.CodeType)


class Mentions:
    """Whether the project's modules name `name`, kept up to date as modules are imported (cheap between)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found_in: str | None = None  # the first module seen to name it
        self._read: set[str] = set()  # modules already read, by name
        self._modules_seen = 0

    def __call__(self) -> bool:
        """True once any project module names it; reads only the modules imported since the last call."""
        if self.found_in is not None:
            return True
        if len(sys.modules) != self._modules_seen:
            self._modules_seen = len(sys.modules)
            for module_name, module in list(sys.modules.items()):
                if module_name not in self._read:
                    self._read.add(module_name)
                    if _is_project(module) and self._read_safely(module):
                        self.found_in = module_name
                        return True
        return False

    def _read_safely(self, module: types.ModuleType) -> bool:
        try:
            return self._in_module(module)
        except Exception:  # an odd object in sys.modules (no __dict__, a lazy module): it names nothing we can see
            return False

    def _in_module(self, module: types.ModuleType) -> bool:
        name = module.__name__
        for value in list(vars(module).values()):
            kind = type(value)  # most values are neither functions nor classes: one type check, no call
            if kind is _FUNCTION:
                if self._in_code(value.__code__):
                    return True
            elif isinstance(value, type):
                if value.__module__ == name and any(
                    self._in_value(member) for member in list(vars(value).values()) if type(member) in _HOLDERS
                ):
                    return True
            elif kind in _HOLDERS and self._in_value(value):
                return True
        return False

    def _in_value(self, value: Any) -> bool:
        kind = type(value)  # most values are not functions: one type check sends them away
        if kind is _FUNCTION:
            return self._in_code(value.__code__)
        if kind in _WRAPPERS:  # staticmethod, classmethod, a bound method
            return self._in_value(value.__func__)
        if isinstance(value, property):
            return any(self._in_value(accessor) for accessor in (value.fget, value.fset, value.fdel))
        return False

    def _in_code(self, code: types.CodeType) -> bool:
        consts = code.co_consts
        if self.name in code.co_names or self.name in consts:
            return True
        if not any(map(isinstance, consts, _CODE)):  # no nested function or class (most): no loop in Python
            return False
        return any(self._in_code(const) for const in consts if type(const) is types.CodeType)


def _is_project(module: Any) -> bool:
    try:
        filename = getattr(module, "__file__", None)
    except Exception:
        return False
    return isinstance(filename, str) and not filename.startswith(INSTALLED)


task_group = Mentions("task_group")
