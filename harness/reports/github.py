"""GitHub Actions annotations: failures, leftover tasks and state changes as workflow commands at a file and line."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from harness.reports.records import Summary, TestReport
from harness.reports.report_text import cut

MESSAGE_LIMIT = 4_000  # characters of a traceback in one annotation: GitHub shows a few lines of it anyway
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)', re.MULTILINE)
_SITE = re.compile(r"^(?P<file>.+):(?P<line>\d+) in ")  # a task's creation site, from sites.format_site
_HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the package, above this room
_VERB = {"failed": "failed", "error": "raised an error", "xpassed": "passed unexpectedly"}


def enabled(environ: Mapping[str, str]) -> bool:
    """Whether this run is a GitHub Actions job step, which reads workflow commands from the log."""
    return environ.get("GITHUB_ACTIONS") == "true"


def root_of(environ: Mapping[str, str]) -> str:
    """The folder annotation paths are relative to: the checked-out repository, else the working directory."""
    return os.path.abspath(environ.get("GITHUB_WORKSPACE") or os.getcwd())


@dataclass(frozen=True)
class Annotation:
    """One workflow command: `::error file=tests/test_x.py,line=12,title=...::message`."""

    level: Literal["error", "warning"]
    title: str
    message: str
    file: str = ""  # relative to the repository, with / separators; empty: an annotation on the run, not a file
    line: int = 0

    def command(self) -> str:
        place = [f"file={escape_property(self.file)}", f"line={self.line}"] if self.file else []
        properties = ",".join([*place, f"title={escape_property(self.title)}"])
        return f"::{self.level} {properties}::{escape_data(self.message)}"


def escape_data(text: str) -> str:
    """A message as GitHub's workflow commands read it: %, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): as a message, and : and , escaped too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Annotator:
    """The annotations of a run, made from its reports, for paths under `root`."""

    def __init__(self, root: str) -> None:
        self.root = root

    def lines(self, summary: Summary) -> list[str]:
        """One workflow command per failure, leftover task and test that changed global state."""
        return [annotation.command() for report in summary.reports for annotation in self.annotations(report)]

    def annotations(self, report: TestReport) -> Iterator[Annotation]:
        if not report.ok:
            yield self._failure(report)
        for task in report.findings.residual_tasks:
            site = _SITE.match(task.created_at)
            place = self._place(site["file"], int(site["line"])) if site else ("", 0)
            yield Annotation("warning", f"{report.id} left a task running", task.describe() +
                             "\nawait or cancel it before the test returns", *place)
        for callback in report.findings.pending_callbacks:
            site = _SITE.match(callback.scheduled_at)
            place = self._place(site["file"], int(site["line"])) if site else self._place(report.file, report.line)
            yield Annotation("warning", f"{report.id} left a callback pending", callback.describe() +
                             "\ncancel it before the test returns", *place)
        if report.findings.state_changes:
            details = [f"{c.detail} ({c.probe}; {'restored' if c.restored else 'not restored'})"
                       for c in report.findings.state_changes]
            yield Annotation("warning", f"{report.id} changed global state", "\n".join(details) +
                             "\nput it back in tearDown or a cleanup, or use unittest.mock.patch",
                             *self._place(report.file, report.line))

    def _failure(self, report: TestReport) -> Annotation:
        verb = _VERB.get(report.outcome, report.outcome)
        text = report.longrepr or report.message
        if report.longrepr and report.message and report.message not in report.longrepr:
            text = f"{report.message}\n\n{report.longrepr}"
        return Annotation("error", f"{report.id} {verb}", cut(text.rstrip(), MESSAGE_LIMIT), *self._failed_at(report))

    def _failed_at(self, report: TestReport) -> tuple[str, int]:
        """The innermost traceback frame in the test's file, else in the project, else where the test is defined."""
        frames = [(os.path.abspath(m["file"]), int(m["line"])) for m in _FRAME.finditer(report.longrepr)]
        own = [frame for frame in frames if report.file and frame[0] == os.path.abspath(report.file)]
        project = [frame for frame in frames if self._relative(frame[0]) and not _outside_project(frame[0])]
        file, line = (own or project or [(report.file, report.line)])[-1]
        return self._place(file, line)

    def _place(self, file: str, line: int) -> tuple[str, int]:
        relative = self._relative(file) if file and line > 0 else ""
        return (relative, line) if relative else ("", 0)

    def _relative(self, file: str) -> str:
        """`file` relative to the root with / separators, or "" when it is not under the root."""
        try:
            relative = os.path.relpath(os.path.abspath(file), self.root)
        except ValueError:  # another drive on Windows
            return ""
        return "" if relative.startswith(os.pardir) else relative.replace(os.sep, "/")


def _outside_project(file: str) -> bool:
    """Harness's own frames, and installed packages in a virtual environment under the root."""
    return file.startswith(_HARNESS + os.sep) or f"{os.sep}site-packages{os.sep}" in file

