"""The `settings` probe: socket default timeout, umask, recursion limit, switch interval, int max str digits,
`tempfile.tempdir`, locale and the garbage collector's state."""
from __future__ import annotations

import gc
import locale
import os
import socket
import sys
import tempfile
from _locale import setlocale as _read_locale
from collections.abc import Callable
from typing import Any

from harness.probes.base import Probe


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
