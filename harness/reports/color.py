"""Colour in the text output: whether to use it (--color, NO_COLOR, FORCE_COLOR, a terminal), and the codes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TextIO

from harness.reports.records import Outcome

Tone = Literal["green", "red", "yellow", "bold"]
_CODES: dict[Tone, str] = {"green": "\x1b[32m", "red": "\x1b[31m", "yellow": "\x1b[33m", "bold": "\x1b[1m"}
_RESET = "\x1b[0m"
TONES: dict[Outcome, Tone] = {
    "passed": "green", "xfailed": "yellow", "skipped": "yellow", "failed": "red", "error": "red", "xpassed": "red",
}


def wanted(choice: str, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether the text output gets colour.

    `--color always` and `never` decide alone. `auto` (the default) colours a terminal unless NO_COLOR is set
    to anything but "" (https://no-color.org) or TERM is "dumb"; FORCE_COLOR, set likewise, colours a pipe too.
    """
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return environ.get("TERM") != "dumb" and _is_terminal(stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, OSError, ValueError):  # a closed or unusual stream
        return False


def paint(text: str, tone: Tone) -> str:
    """`text` in `tone`, the colour ended before any line break so that each line stands alone in a log."""
    return "\n".join(f"{_CODES[tone]}{line}{_RESET}" if line else line for line in text.split("\n"))
