"""ResourceWarnings a test caused: sockets, files, connections, transports and event loops it never closed.

Python ignores ResourceWarning by default, so a resource a test forgets is closed by the garbage collector in
silence, often during a later test. While a run watches for them (the "unclosed" probe), a filter in front of
`warnings.filters` lets them through, and `warnings._showwarnmsg`, which receives the warning with the object it
is about, keeps each one instead of printing it; at the end of a test, after something was opened, a full
collection makes the test's garbage say so now, to this test. A test that looks at warnings itself (assertWarns,
`catch_warnings(record=True)`, its own `showwarning`) gets them as it would without harness.
"""
from __future__ import annotations

import gc
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

from harness.findings.activity import activity
from harness.findings.sites import format_location, is_library
from harness.findings.unhandled import show_unawaited

_SEEN = ("always", None, ResourceWarning, None, 0)
_HINT = "run with PYTHONTRACEMALLOC=20 to see where it was allocated"


class Catcher:
    """Keeps the ResourceWarnings raised while it is installed, each as a line a user acts on."""

    def __init__(self, left_open: Callable[[], bool] | None = None) -> None:
        self.seen: list[str] = []
        # Whether a descriptor the running test opened is still open (None: cannot be told): when none is, nothing
        # it left for the collector holds one, and a young collection does where a full one would have been made.
        self._left_open = left_open
        self._saved: tuple[list[Any], Any] | None = None
        self._filters: list[Any] = []
        self._theirs: tuple[Any, ...] = ()  # the showwarning functions that are not a test's own
        self._impl: Any = None
        self._previous: Any = warnings._showwarnmsg  # type: ignore[attr-defined]  # where the others go
        self._opened = -1  # activity.opened at the last look
        self._spawned = -1  # activity.spawned at the last look
        self._collections = -1  # _older_collections() at the last look that read it
        self._ends = True  # whether the last look ended a test (looks alternate: before a test, after it)
        self._young = False  # the next look collects the young generations only (see young_next)

    def install(self) -> None:
        module: Any = warnings
        self._saved = (module.filters, module._showwarnmsg)
        self._previous = module._showwarnmsg
        self._filters = [_SEEN, *module.filters]
        self._impl = module._showwarnmsg_impl
        self._theirs = (module.showwarning, module._showwarning_orig, show_unawaited)
        module.filters = self._filters
        module._filters_mutated()
        module._showwarnmsg = self._show

    def uninstall(self) -> None:
        if self._saved is None:
            return
        module: Any = warnings
        filters, show = self._saved
        self._saved = None
        if module._showwarnmsg == self._show:
            module._showwarnmsg = show
        if module.filters is self._filters:
            module.filters = filters
        elif _SEEN in module.filters:
            module.filters.remove(_SEEN)
        module._filters_mutated()

    def look(self) -> int:
        """How many warnings were kept so far, after a collection when a file, socket or process was opened since
        the last look (its leftovers, collected now, warn now).

        The collection is a full one only when a collection of generation 1 or 2 ran since the last look: only
        such a collection moves objects into the oldest generation, so without one, everything made since the
        last look is in the two young ones, and collecting those finds all of it at a fraction of the cost.

        Reading how many collections ran (gc.get_stats makes three dicts) is most of a look's cost, and a look
        before a test at which nothing was opened skips it: the count kept is then the one read at the end of the
        last test, and what harness did between the two looks can only make the next collection a full one where
        a young one would have done (more thorough, never less). The looks alternate, before and after each test.

        A full collection costs milliseconds in a large process. At the end of a test that started no process and
        whose descriptors are all closed again (`left_open`, from the fds probe's listing: every file and socket
        it opened is closed), the young one does: a file, socket, transport or loop the test left unclosed holds
        its descriptor open, so none is waiting for the collector in the old generation either. (What warns
        without holding a descriptor, such as a TemporaryDirectory, is found by the young collection when it is
        young, as after a test that opened nothing.)
        """
        self._ends = ends = not self._ends
        young, self._young = self._young, False
        if activity.opened == self._opened:
            if ends:
                self._collections = _older_collections()
            return len(self.seen)
        full = not young and _older_collections() != self._collections
        if full and ends and activity.spawned == self._spawned and self._left_open is not None:
            full = self._left_open()
        gc.collect(2 if full else 1)
        self._opened, self._spawned = activity.opened, activity.spawned
        self._collections = _older_collections()
        return len(self.seen)

    def young_next(self) -> None:
        """The next look needs no full collection: what was made since the last one holds no descriptor and
        started no process (the caller checked), as at the end of a test whose descriptors are all closed."""
        self._young = True

    def _show(self, message: warnings.WarningMessage) -> None:
        module: Any = warnings
        ours = module._showwarnmsg_impl is self._impl and module.showwarning in self._theirs
        if ours and isinstance(message.category, type) and issubclass(message.category, ResourceWarning):
            self.seen.append(describe(message))
            return
        self._previous(message)

    def __repr__(self) -> str:
        return f"<Catcher seen={len(self.seen)}>"


def _older_collections() -> int:
    """How many collections of generations 1 and 2 the process has run."""
    stats = gc.get_stats()
    return stats[1]["collections"] + stats[2]["collections"]


def describe(message: warnings.WarningMessage) -> str:
    """`ResourceWarning: unclosed <socket ...> (allocated at tests/test_x.py:12)`, as far as Python can tell."""
    text = f"ResourceWarning: {message.message}"
    source = message.source
    if source is None:
        return text
    if not tracemalloc.is_tracing():
        return f"{text} ({_HINT})"
    site = allocated_at(source)
    return f"{text} (allocated at {site})" if site else text


def allocated_at(source: object) -> str | None:
    """Where tracemalloc saw `source` allocated: the most recent frame outside the standard library and harness's
    plumbing, else the most recent one."""
    traceback = tracemalloc.get_object_traceback(source)
    if traceback is None or not len(traceback):
        return None
    frames = list(traceback)  # oldest first
    chosen = next((f for f in reversed(frames) if not is_library(f.filename)), frames[-1])
    return format_location(chosen.filename, chosen.lineno)
