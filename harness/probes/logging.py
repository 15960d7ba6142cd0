"""The `logging` probe: loggers' handlers, levels, `disabled` and `propagate`, and `logging.disable`."""
from __future__ import annotations

import logging
from typing import Any

from harness.probes.base import Probe
from harness.reports.report_text import describe

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
