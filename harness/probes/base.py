"""The Probe interface every probe implements (snapshot, diff, restore; trio's `Instrument` is the model), and
NotRestored, which a restore raises for what it could not put back."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

MISSING: Any = object()


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

    def loaded(self) -> None:
        """The tests are loaded (their modules imported) and none has run here: called once in each process that runs
        tests, before its first snapshot."""

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
