"""Coverage of a run: coverage.py in each process that runs tests, a context per test, the data combined and reported.

Each worker (a replacement after a crash too) measures from before it loads the tests, so lines run at import
count, into a data file of its own, saved after its tests as it goes; a run in the runner's own process measures
there the same way. The runner itself measures nothing: when the run ends, however it ends, it combines the files
it finds into the user's data file and writes the reports. coverage.py is imported only by a run that measures,
and by the runner only at the end. See docs/coverage.md.
"""
from __future__ import annotations

import contextlib
import dataclasses
import glob
import io
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from harness.reports.files import path_problem
from harness.reports.hooks import Reporter, ReportNotWritten
from harness.reports.records import Summary, TestReport
from harness.run.config import Config, UsageError

if TYPE_CHECKING:
    import coverage

_clock = time.monotonic
_HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the package, above this room
SAVE_EVERY = 0.5  # seconds: a worker saves its data after a test at most this often (contexts flush at every test)
NEUTRAL = ""  # the context of lines run outside any test: imports, class and module fixtures
# Warnings every worker would repeat: each imports the same modules, and may run none of `source` (one warns).
_QUIET_IN_WORKERS = ("module-not-measured", "module-not-imported", "no-data-collected")
_CONFIG_FILES = ".coveragerc, setup.cfg [coverage:*], tox.ini [coverage:*] or pyproject.toml [tool.coverage.*]"


@dataclasses.dataclass(frozen=True)
class Report:
    """One report to write: its kind, and the path given with it (None: the one the coverage configuration says)."""

    kind: str
    path: str | None = None

    @classmethod
    def parse(cls, text: str) -> Report:
        """From `term`, `html`, `xml:out/coverage.xml` (already checked by config.parse_coverage_report)."""
        kind, _, path = text.partition(":")
        return cls(kind, path or None)


def wanted(config: Config) -> bool:
    """Whether the run is measured: --coverage, or a coverage report or contexts asked for."""
    return config.coverage or bool(config.coverage_reports) or config.coverage_contexts


class Measurement(Reporter):
    """No coverage: every hook does nothing. CoverageMeasurement overrides them."""

    def start(self, warn: bool) -> None:
        """In the process that runs the tests, before it loads them; `warn`: coverage's warnings that every worker
        would repeat are shown (in one worker, or in a run without workers). A coverage configuration or a report
        path that cannot work is a UsageError here."""

    @contextlib.contextmanager
    def measuring(self) -> Iterator[Reporter]:
        """Around the tests of one process (a worker, or the runner without workers): a reporter whose hooks
        switch the context and save the data as the tests go."""
        yield Reporter()

    def stop(self) -> None:
        """Stop measuring in this process and save the data (again is fine)."""

    def discard(self) -> None:
        """The run ended before its end-of-run hook (no tests, a usage error): stop, and delete its data files."""

    def text(self) -> str:
        """What the terminal shows before the summary: the coverage table and where the reports went."""
        return ""


OFF = Measurement()


def choose(config: Config) -> Measurement:
    """The measurement the config asks for (coverage.py is not imported yet: see Measurement.start)."""
    if not wanted(config):
        return OFF
    return CoverageMeasurement(tuple(Report.parse(text) for text in config.coverage_reports) or (Report("term"),),
                               config.coverage_contexts)


class CoverageMeasurement(Measurement):
    """coverage.py across the runner and its workers, combined and reported at the end of the run."""

    def __init__(self, reports: tuple[Report, ...], contexts: bool) -> None:
        self.reports = reports
        self.contexts = contexts
        # A run's data files share this token, so the end of the run combines its own files and no one else's.
        self.token = f"harness-{os.getpid()}-{os.urandom(3).hex()}"
        self.data_file: str | None = None  # these two from the user's configuration, read by `_settle`
        self.paths: dict[Report, str | None] = {}
        self._running: coverage.Coverage | None = None
        self._text = ""

    def _settle(self) -> None:
        """Read the user's configuration (its errors, and report paths that cannot work, are usage errors): where
        the data and the reports go. In the runner and in each worker alike: they start in the same folder."""
        if self.data_file is not None:
            return
        first = self._coverage(None)
        data_file = os.path.abspath(first.get_option("run:data_file"))  # the same one when tests chdir
        self.paths = {report: self._path(first, report) for report in self.reports}
        for report in self.reports:
            problem = _path_problem(report.kind, self.paths[report])
            if problem:
                raise UsageError(problem)
        self.data_file = data_file

    # -- measuring -----------------------------------------------------------------------------------------
    def start(self, warn: bool) -> None:
        self._settle()
        self._running = self._start(quiet=not warn)

    @contextlib.contextmanager
    def measuring(self) -> Iterator[Reporter]:
        measured = self._running if self._running is not None else self._start(quiet=True)
        self._running = measured
        try:
            yield _PerTest(measured, self.contexts)
        finally:
            with _ctrl_c_ignored():
                self.stop()

    def stop(self) -> None:
        measured, self._running = self._running, None
        if measured is not None:
            measured.stop()
            measured.save()

    def discard(self) -> None:
        measured, self._running = self._running, None
        if measured is not None:
            measured.stop()
        try:
            self._settle()
        except UsageError:
            return  # the configuration that stopped the run: no process measured anything
        for path in self._files():
            with contextlib.suppress(OSError):
                os.remove(path)

    def _files(self) -> list[str]:
        """This run's data files, one per process that measured."""
        return sorted(glob.glob(glob.escape(self.data_file) + f".{self.token}.*"))

    def _start(self, quiet: bool) -> coverage.Coverage:
        from coverage.exceptions import CoverageException

        measured = self._coverage(f"{self.token}.{os.getpid()}")
        if quiet:
            _add(measured, "run:disable_warnings", _QUIET_IN_WORKERS)
        try:
            measured.start()
        except CoverageException as exc:
            raise UsageError(f"coverage could not start: {_one_line(exc)}; check {_CONFIG_FILES}") from None
        return measured

    def _coverage(self, suffix: str | None) -> coverage.Coverage:
        """A Coverage with the user's configuration, harness's own code left out, and the core that keeps
        contexts when they are asked for."""
        import coverage
        from coverage.exceptions import CoverageException

        try:
            where = {"data_file": self.data_file} if self.data_file else {}  # else the configuration's
            measured = coverage.Coverage(data_suffix=suffix, config_file=True, messages=False, **where)
            _add(measured, "run:omit", (os.path.join(_HARNESS, "*"),))
            if measured.get_option("report:omit"):
                _add(measured, "report:omit", (os.path.join(_HARNESS, "*"),))
            measured.set_option("run:sigterm", False)  # harness turns SIGTERM into an orderly stop and a save
            _drop_patches(measured)
            if self.contexts:
                _keep_contexts(measured)
        except CoverageException as exc:
            raise UsageError(f"cannot use the coverage configuration: {_one_line(exc)}; fix it in {_CONFIG_FILES}") \
                from None
        return measured

    # -- reporting -----------------------------------------------------------------------------------------
    def finish_run(self, summary: Summary) -> None:
        """Combine the run's data files into the data file, write the reports; a report that fails raises
        ReportNotWritten after the others are written."""
        self.stop()
        self._settle()
        files = self._files()
        if not files:
            self._text = _section("no coverage data was saved (the run stopped before measuring anything)")
            return
        combined = self._coverage(None)
        combined.combine(files, strict=False, keep=False)
        combined.save()
        lines, failures = self._write_reports(combined, len(files))
        self._text = _section("\n".join(lines))
        if failures:
            raise ReportNotWritten("; ".join(failures))

    def _write_reports(self, combined: coverage.Coverage, count: int) -> tuple[list[str], list[str]]:
        """The terminal lines, and one line per report that could not be written."""
        from coverage.exceptions import CoverageException, NoDataError

        lines: list[str] = []
        failures: list[str] = []
        for report in self.reports:
            try:
                lines.append(self._write(combined, report))
            except NoDataError as exc:
                lines.append(f"no {report.kind} coverage report: {_one_line(exc)} (nothing measured ran; check "
                             f"[run] source and include in {_CONFIG_FILES})")
            except (CoverageException, OSError) as exc:
                where = f" to {self.paths[report]!r}" if self.paths[report] else ""
                failures.append(f"could not write the coverage {report.kind} report{where}: {_one_line(exc)}; "
                                "check that its folder can be written, or give another path")
        processes = f"{count} process{'es' if count != 1 else ''}"
        contexts = "; each line is recorded under the ids of the tests that ran it (coverage html --show-contexts)"
        lines.append(f"coverage data: {_shown(self.data_file)}, combined from {processes}"
                     f"{contexts if self.contexts else ''}")
        return lines, failures

    def _write(self, combined: coverage.Coverage, report: Report) -> str:
        """Write one report; what the terminal shows of it."""
        kind, path = report.kind, self.paths[report]
        if kind in ("term", "term-missing"):
            table = io.StringIO()
            combined.report(file=table, show_missing=True if kind == "term-missing" else None)
            return table.getvalue().rstrip("\n")
        if kind == "html":
            combined.html_report(directory=path, show_contexts=True if self.contexts else None)
            return f"coverage HTML report: {_shown(os.path.join(path or '', 'index.html'))}"
        if kind == "xml":
            combined.xml_report(outfile=path)
        else:
            combined.json_report(outfile=path, show_contexts=True if self.contexts else None)
        return f"coverage {kind.upper()} report: {_shown(path or '')}"

    def text(self) -> str:
        return self._text

    @staticmethod
    def _path(measured: coverage.Coverage, report: Report) -> str | None:
        """Where a file report goes: the path given, else the coverage configuration's."""
        option = {"html": "html:directory", "xml": "xml:output", "json": "json:output"}.get(report.kind)
        if option is None:
            return None
        return report.path or str(measured.get_option(option))


class _PerTest(Reporter):
    """In the process running the tests: each test's lines under its id, and the data saved as the tests go."""

    def __init__(self, measured: coverage.Coverage, contexts: bool) -> None:
        self.measured = measured
        self.contexts = contexts
        self.saved = _clock()
        self.pid = os.getpid()

    def test_started(self, test_id: str) -> None:
        if self.contexts and os.getpid() == self.pid:
            self.measured.switch_context(test_id)  # also writes what was measured so far to the data file

    def test_finished(self, report: TestReport) -> None:
        if os.getpid() != self.pid:  # a process a test forked, running on into harness: the data is not its own
            return
        if self.contexts:
            self.measured.switch_context(NEUTRAL)
        if _clock() - self.saved >= SAVE_EVERY:
            self.measured.save()
            self.saved = _clock()


@contextlib.contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """While the data is saved after the tests: a KeyboardInterrupt halfway would lose it, and the Ctrl-C that
    would raise it reached the runner too, which stops the run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _add(measured: coverage.Coverage, option: str, values: tuple[str, ...]) -> None:
    measured.set_option(option, [*(measured.get_option(option) or []), *values])


def _drop_patches(measured: coverage.Coverage) -> None:
    """harness starts and saves coverage in its workers itself: coverage's own fork and _exit patches would
    measure them twice (older coverage.py has no `patch` setting)."""
    from coverage.exceptions import ConfigError

    with contextlib.suppress(ConfigError):
        patches = measured.get_option("run:patch") or []
        measured.set_option("run:patch", [name for name in patches if name not in ("fork", "_exit")])


def _keep_contexts(measured: coverage.Coverage) -> None:
    """The C tracer records dynamic contexts; sys.monitoring (the default core from Python 3.14, or
    COVERAGE_CORE=sysmon) drops them. A `dynamic_context` setting would fight our own switches."""
    from coverage.exceptions import ConfigError

    measured.set_option("run:dynamic_context", None)
    with contextlib.suppress(ConfigError):  # older coverage.py has no `core` setting, and only the tracers
        if measured.get_option("run:core") in (None, "sysmon"):
            measured.set_option("run:core", "ctrace")  # falls back to the Python tracer where C is missing


def _path_problem(kind: str, path: str | None) -> str | None:
    """Why the report cannot be written at `path`, when that shows before the run."""
    if path is None:
        return None
    if kind != "html":
        reason = path_problem(path, f"coverage.{kind}")
    elif os.path.exists(path) and not os.path.isdir(path):
        reason = "it is a file, not a folder; give a folder such as 'htmlcov'"
    else:
        reason = path_problem(os.path.join(path, "index.html"), "htmlcov")
    return f"cannot write the coverage {kind} report to {path!r}: {reason}" if reason else None


def _section(body: str) -> str:
    return "\n" + " coverage ".center(100, "=") + "\n" + body + "\n"


def _shown(path: str) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
