"""The project's code: each module's classes and the code objects of its functions, read once per module.

Two readers share one reading of a module: harness.findings.rebinding (the attribute names the project's code writes, to
know which class attributes to watch) and harness.findings.mentions (whether the project's code names `task_group`). A
process with a thousand project modules walks their namespaces once, not once per reader.

"The project" is every module whose file is outside the standard library, site-packages, the interpreter's prefix
and harness itself (`is_project`); a reader may narrow it (rebinding keeps to the working directory).
"""
from __future__ import annotations

import itertools
import os
import sys
import sysconfig
import types
import weakref
from typing import Any, NamedTuple

# Where installed code lives: the standard library, site-packages, the interpreter's prefix, and harness itself.
INSTALLED: tuple[str, ...] = tuple(
    os.path.join(path, "") for path in {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib",
                                                                                 "platlib")}
) + (os.path.join(os.path.dirname(os.path.dirname(__file__)), ""), os.path.join(sys.prefix, ""))


class Reading(NamedTuple):
    """What one module defines: its classes, and the code of its functions, methods and properties, nested code
    included (a class body's own code is not kept by Python, so it is not here)."""

    classes: tuple[type, ...]
    codes: tuple[types.CodeType, ...]


_FUNCTION = types.FunctionType
_WRAPPERS = frozenset({staticmethod, classmethod, types.MethodType})
_HOLDERS = _WRAPPERS | {_FUNCTION, property}  # the values that hold code
_CODE = itertools.repeat(types.CodeType)
_readings: weakref.WeakKeyDictionary[Any, Reading] = weakref.WeakKeyDictionary()  # by module; not kept alive


def is_project(module: Any) -> bool:
    """Whether `module` comes from a file outside the installed code (a module of odd make is not the project's)."""
    try:
        filename = getattr(module, "__file__", None)
    except Exception:
        return False
    return isinstance(filename, str) and not filename.startswith(INSTALLED)


def reading(module: types.ModuleType) -> Reading:
    """The module's classes and code, read the first time it is asked for; raises what an odd module raises."""
    try:
        return _readings[module]
    except KeyError:
        found = _readings[module] = _read(module)
        return found
    except TypeError:  # a module that cannot be weakly referenced: read every time it is asked for
        return _read(module)


def _read(module: types.ModuleType) -> Reading:
    classes: list[type] = []
    codes: list[types.CodeType] = []
    name = module.__name__
    for value in list(vars(module).values()):
        kind = type(value)  # most values are neither functions nor classes: one type check, no call
        if kind is _FUNCTION:
            _add_code(value.__code__, codes)
        elif isinstance(value, type):
            if value.__module__ == name:
                classes.append(value)
                for member in list(vars(value).values()):
                    if type(member) in _HOLDERS:
                        _add_holder(member, codes)
        elif kind in _HOLDERS:
            _add_holder(value, codes)
    return Reading(tuple(classes), tuple(codes))


def class_codes(cls: type) -> list[types.CodeType]:
    """The code of a class's own methods (functions, class and static methods, properties), nested code included."""
    codes: list[types.CodeType] = []
    for member in list(vars(cls).values()):
        if type(member) in _HOLDERS:
            _add_holder(member, codes)
    return codes


def _add_holder(value: Any, codes: list[types.CodeType]) -> None:
    kind = type(value)
    if kind is _FUNCTION:
        _add_code(value.__code__, codes)
    elif kind in _WRAPPERS:  # staticmethod, classmethod, a bound method
        _add_holder(value.__func__, codes)
    elif isinstance(value, property):
        for accessor in (value.fget, value.fset, value.fdel):
            _add_holder(accessor, codes)


def _add_code(code: types.CodeType, codes: list[types.CodeType]) -> None:
    codes.append(code)
    consts = code.co_consts
    if any(map(isinstance, consts, _CODE)):  # nested functions and classes (most functions have none)
        for const in consts:
            if type(const) is types.CodeType:
                _add_code(const, codes)


def forget() -> None:
    """Drop every reading (the end of a run)."""
    _readings.clear()
