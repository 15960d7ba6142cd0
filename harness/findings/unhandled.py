"""Errors the event loop and the warnings machinery would only have logged, raised as the test's: UnhandledError,
and the coroutines a test never awaited."""
from __future__ import annotations

import re
import warnings
from typing import Any

from harness.findings.sites import format_location


class UnhandledError(Exception):
    """An error the event loop would only have logged, raised as an error of the test that caused it."""


_NEVER_AWAITED = ("always", re.compile(r"coroutine .* was never awaited", re.I), RuntimeWarning, None, 0)


class UnawaitedCoroutines:
    """Collects "coroutine ... was never awaited" warnings for one test, restoring warnings on exit.

    What `warnings.catch_warnings()` and `filterwarnings("always", ...)` do, without their work per test: the
    filter is made once, `warnings.showwarning` is one function for the whole run (it hands each warning to the
    innermost collector), and the filters list with the filter in front is made again only when the filters under
    it changed. So between two tests the warnings state is the same objects, and the probes need not look again.
    """

    def __init__(self) -> None:
        self.seen: list[UnhandledError] = []
        self._saved: tuple[Any, Any, Any] | None = None
        self._show: Any = None

    def __enter__(self) -> UnawaitedCoroutines:
        module = warnings
        self._saved = (module.filters, module.showwarning, module._showwarnmsg_impl)  # type: ignore[attr-defined]
        show = module.showwarning
        # Inside another collector (a test running tests): other warnings go where that one sends them.
        self._show = _collecting[-1]._show if show is show_unawaited and _collecting else show
        module.filters = _with_filter(module.filters)  # type: ignore[attr-defined]
        module._filters_mutated()  # type: ignore[attr-defined]
        module.showwarning = show_unawaited
        _collecting.append(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._saved is None:
            return
        if self in _collecting:
            _collecting.remove(self)
        module = warnings
        module.filters, module.showwarning, module._showwarnmsg_impl = self._saved  # type: ignore[attr-defined]
        module._filters_mutated()  # type: ignore[attr-defined]
        self._saved = None

    def _showwarning(
        self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
        file: Any = None, line: str | None = None,
    ) -> None:
        text = str(message)
        if issubclass(category, RuntimeWarning) and text.endswith("was never awaited"):
            self.seen.append(UnhandledError(
                f"{text} (noticed at {format_location(filename, lineno)}): "
                "await it, or close() it if it is not needed"
            ))
        else:
            self._show(message, category, filename, lineno, file, line)


_collecting: list[UnawaitedCoroutines] = []  # the collectors entered and not left, innermost last
_made: list[Any] = [None, None]  # the filters list last put under the filter, and the list made from it


def show_unawaited(
    message: Warning | str, category: type[Warning], filename: str, lineno: int,
    file: Any = None, line: str | None = None,
) -> None:
    """`warnings.showwarning` while collectors are entered: the innermost one takes the warning."""
    if _collecting:
        _collecting[-1]._showwarning(message, category, filename, lineno, file, line)
    else:  # not ours to show any more: what warnings would have done
        warnings._showwarnmsg_impl(warnings.WarningMessage(message, category, filename, lineno, file, line))  # type: ignore[attr-defined]


def _with_filter(filters: list[Any]) -> list[Any]:
    """`[the filter, *filters]`: the list made last time when `filters` is the same list holding the same entries
    (and the one made holds them still), else a new one."""
    base, made = _made
    if filters is base and made is not None and made[0] is _NEVER_AWAITED and made[1:] == filters:
        return made  # type: ignore[no-any-return]
    made = [_NEVER_AWAITED, *filters]
    _made[:] = [filters, made]
    return made

