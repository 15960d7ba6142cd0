"""Per-test time limits (placeholder until the timeouts branch lands: class attribute and setting only)."""
from __future__ import annotations

import unittest

DEFAULT_TIMEOUT = 300.0


def resolve(test: unittest.TestCase, configured: float) -> float | None:
    """The time limit of `test` in seconds, or None for none."""
    value = getattr(type(test), "timeout", None)
    limit = configured if value is None else float(value)
    return limit or None
