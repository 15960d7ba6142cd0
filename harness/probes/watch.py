"""Watching global state around each test: every probe's snapshot before, its diff and restore after."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from harness.probes.base import NotRestored, Probe
from harness.reports.records import StateChange


class Watch:
    """Snapshots before a test, and after it what changed (restored unless told not to)."""

    def __init__(self, probes: Sequence[Probe], restore: bool) -> None:
        self.probes = list(probes)
        self.restore = restore
        self._before: list[Any] = []
        self._broken: list[StateChange] = []
        # After a test that changed nothing, its after-snapshots are the next test's before-snapshots, when
        # nothing runs in between: the next test is of the same class (so no class or module fixture runs),
        # and the probe says its snapshot is a plain reading of the state (`Probe.reusable`).
        self._reusable: list[Any] | None = None
        self._fresh = [index for index, probe in enumerate(self.probes) if not getattr(probe, "reusable", False)]
        self._last_key: object = None

    def has(self, name: str) -> bool:
        """Whether the probe of this name is on."""
        return any(probe.name == name for probe in self.probes)

    def watch_packages(self, packages: Sequence[str], tests: Iterable[object]) -> None:
        """Watch the module globals and classes of the packages under test, wherever they are installed: the
        top-level packages of the test modules, and `packages` (the `watch` setting)."""
        if self.has("attributes"):
            from harness.findings import rebinding

            tops = {type(test).__module__.partition(".")[0] for test in tests}
            rebinding.watch_packages([*packages, *(top for top in tops if top not in _NOT_PACKAGES)])

    def before(self, key: object = None) -> None:
        """Take every probe's snapshot; a probe that fails is reported with the test, not raised.

        `key` says what runs around the test (its class): when it is the last test's, and that test changed
        nothing, the snapshots its end took are still the state, and only the probes that are not
        `reusable` look again.
        """
        self._broken = []
        reusable, self._reusable = self._reusable, None
        same = key is not None and key == self._last_key
        self._last_key = key
        if reusable is not None and same:
            for index in self._fresh:
                reusable[index] = self._snapshot_or_failed(self.probes[index], "snapshot")
            self._before = reusable
            return
        self._before = self._snapshots()

    def after(self) -> tuple[StateChange, ...]:
        """Diff every probe against its snapshot and put back what changed."""
        changes = list(self._broken)
        afters = self._snapshots(changes)
        clean = not changes
        if clean and _same(self._before, afters):  # the usual test: one comparison in C, identity first
            self._before = []
            self._reusable = afters
            return ()
        for probe, before, after in zip(self.probes, self._before, afters, strict=True):
            if before is not _FAILED and after is not _FAILED and not _same(before, after):
                clean = False
                changes.extend(self._check(probe, before, after))
        self._before = []
        self._reusable = afters if clean else None
        return tuple(changes)

    def _snapshots(self, failures: list[StateChange] | None = None) -> list[Any]:
        """Every probe's snapshot, each probe asked once (some keep state between their calls, the files probe for
        one): a probe that raises is reported, the others are still asked."""
        taken: list[Any] = []
        try:  # the usual case, no probe raising: one call each, no wrapper between (this runs twice a test)
            for probe in self.probes:
                taken.append(probe.snapshot())
        except Exception as exc:
            taken.append(self._failed(self.probes[len(taken)], "snapshot", exc, failures))
            taken.extend(self._snapshot_or_failed(probe, "snapshot", failures)
                         for probe in self.probes[len(taken):])
        return taken

    def _snapshot_or_failed(self, probe: Probe, step: str, failures: list[StateChange] | None = None) -> Any:
        try:
            return probe.snapshot()
        except Exception as exc:
            return self._failed(probe, step, exc, failures)

    def _failed(self, probe: Probe, step: str, exc: Exception, failures: list[StateChange] | None) -> Any:
        """Report a probe that raised (with the test, or in `failures`); its snapshot is _FAILED."""
        (self._broken if failures is None else failures).append(_probe_failed(probe, step, exc))
        return _FAILED

    def close(self) -> None:
        """The run is over: every probe undoes its own watching."""
        for probe in self.probes:
            try:
                probe.close()
            except Exception as exc:  # a broken user probe must not lose the reports
                print(f"harness: probe {probe.name!r} failed to close: {type(exc).__name__}: {exc}", file=sys.stderr)

    def _check(self, probe: Probe, before: Any, after: Any) -> list[StateChange]:
        try:
            lines = list(probe.diff(before, after))
        except Exception as exc:
            return [_probe_failed(probe, "diff", exc)]
        if not lines:
            return self._settled(probe, before, after)
        restored = self.restore and probe.restorable
        if restored:
            try:
                probe.restore(before, after)
            except NotRestored as exc:
                left = set(lines if exc.lines is None else exc.lines)
                return [StateChange(probe.name, line, line not in left) for line in lines]
            except Exception as exc:
                return [StateChange(probe.name, line, False) for line in lines] + [
                    _probe_failed(probe, "restore", exc)
                ]
        return [StateChange(probe.name, line, restored) for line in lines]

    def _settled(self, probe: Probe, before: Any, after: Any) -> list[StateChange]:
        """A change not worth a line: the probe may still put it back (`Probe.settle`), unless restore is off."""
        settle = getattr(probe, "settle", None)
        if not self.restore or settle is None:
            return []
        try:
            settle(before, after)
        except Exception as exc:
            return [_probe_failed(probe, "settle", exc)]
        return []


_FAILED = object()
# Where a test's class may come from without being a package under test: unittest's own (a module that failed to
# load) and harness's.
_NOT_PACKAGES = frozenset({"unittest", "harness", "builtins", "__main__"})


def _same(before: Any, after: Any) -> bool:
    """Equal snapshots need no diff (compared in C; a snapshot that cannot compare gets its diff)."""
    try:
        return bool(before is after or before == after)
    except Exception:
        return False


PROBE_FAILED = "probe failed in "


def _probe_failed(probe: Probe, step: str, exc: Exception) -> StateChange:
    return StateChange(probe.name or type(probe).__name__, f"{PROBE_FAILED}{step}: {type(exc).__name__}: {exc}",
                       False)
