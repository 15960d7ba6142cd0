"""The environment probes: `environ` (os.environ) and `cwd` (the working directory)."""
from __future__ import annotations

import os
import time
from typing import Any

from harness.findings.activity import activity
from harness.probes.base import Probe


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
