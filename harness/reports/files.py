"""The report files: a document written to a path when the run ends (FileReporter), atomically; the JSON
report and JUnit XML."""
from __future__ import annotations

import contextlib
import os
import re
import socket
from json import dumps as _json_dumps  # bound now: a test that replaces json.dumps cannot blank the report
from typing import TYPE_CHECKING, Any

from harness.reports.hooks import Reporter, ReportNotWritten, collected, python_version
from harness.reports.records import MemoryLimit, RunPlan, Shard, Summary, TestReport
from harness.reports.report_text import REPORT_LIMIT, clipped, json_text, xml_text

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET


JSON_SCHEMA_VERSION = 1


def write_atomically(path: str, text: str, sync: bool = True) -> None:
    """Write `text` to `path` through a temporary file and a rename, so a reader never sees half a report.

    The temporary file, `.NAME.XXXXXXXX.tmp` beside `path`, is synced to disk before the rename (unless `sync` is
    False, for what a crash of the machine may lose): after a crash of the machine `path` holds the old report or
    the whole new one. On any error it is removed and `path` is left as it was.
    """
    import tempfile

    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        # The reports escape lone surrogates themselves; backslashreplace is the net under that, so that the
        # file is valid UTF-8 whatever a caller hands in.
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as file:
            file.write(text)
            file.flush()
            if sync:
                os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600; a report is as readable as any new file
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; put it straight back
    os.umask(mask)
    return mask


def path_problem(path: str, example: str) -> str | None:
    """Why no file can be written at `path`, when that shows before the run; None when it may work.

    Missing folders are fine: they are created when the report is written.
    """
    if os.path.isdir(path) or not os.path.basename(path):
        return f"it is a folder; give a file path such as {os.path.join(path, example)!r}"
    if os.path.exists(path) and not os.path.isfile(path):  # the rename would replace a device such as /dev/null
        return f"it is not a regular file (a device, a pipe or a socket); give a file path such as {example!r}"
    folder = _nearest_existing(os.path.dirname(path))
    if not os.path.isdir(folder):
        return f"{folder!r} is a file, not a folder; give a path in a folder"
    return None


def _nearest_existing(folder: str) -> str:
    while folder and not os.path.exists(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder or "."


class FileReporter(Reporter):
    """A report written to `path` when the run ends; a file that cannot be written raises ReportNotWritten."""

    kind = "report"  # what messages call it
    example = "report"  # a file name to suggest when `path` is a folder

    def __init__(self, path: str) -> None:
        self.path = path
        self._absolute = os.path.abspath(path)  # a test that changes the working directory must not move it

    def problem(self) -> str | None:
        """A usage error to stop the run with before it starts, when the path obviously cannot work."""
        reason = path_problem(self.path, self.example)
        return f"cannot write the {self.kind} to {self.path!r}: {reason}" if reason else None

    def render(self, summary: Summary) -> str:
        """The whole report."""
        raise NotImplementedError

    def finish_run(self, summary: Summary) -> None:
        text = self.render(summary)
        try:
            write_atomically(self._absolute, text)
        except OSError as exc:
            reason = path_problem(self.path, self.example)  # a folder taken by a file since the run started
            if reason is None:
                reason = f"{exc}; check that its folder can be written, or give another path"
            raise ReportNotWritten(f"could not write the {self.kind} to {self.path!r}: {reason}") from None


def report_to_json(report: TestReport) -> dict[str, Any]:
    """One test's entry in the JSON report (documented in docs/reports.md), long text cut to REPORT_LIMIT."""
    report = clipped(report, REPORT_LIMIT)
    return {
        "id": report.id,
        "outcome": report.outcome,
        "duration": round(report.duration, 6),
        "started": report.started,
        "worker": report.worker,
        "backend": report.backend,
        "message": report.message,
        "longrepr": report.longrepr,
        "stdout": report.stdout,
        "stderr": report.stderr,
        "peak_memory": report.peak_memory or None,
        "residual_tasks": [
            {"name": t.name, "coro": t.coro, "created_at": t.created_at, "suspended_at": t.suspended_at,
             "refused_cancel": t.refused_cancel}
            for t in report.findings.residual_tasks
        ],
        "pending_callbacks": [
            {"callback": c.callback, "scheduled_at": c.scheduled_at, "due_in": c.due_in}
            for c in report.findings.pending_callbacks
        ],
        "unhandled_errors": list(report.findings.unhandled_errors),
        "state_changes": [
            {"probe": c.probe, "detail": c.detail, "restored": c.restored} for c in report.findings.state_changes
        ],
    }


def shard_plan_to_json(shard: Shard) -> dict[str, Any]:
    """What harness combine checks a shard's report against the others with (documented in docs/reports.md)."""
    return {
        "planned": shard.planned, "fingerprint": shard.fingerprint, "split": shard.split,
        "balance": shard.balance, "durations_from": shard.durations_from, "positions": list(shard.positions),
    }


class JsonReporter(FileReporter):
    """The whole run as one JSON document, written when the run ends (however it ends)."""

    kind = "JSON report"
    example = "report.json"

    def __init__(self, path: str, collect_only: bool = False) -> None:
        super().__init__(path)
        self.collect_only = collect_only  # the document of --collect-only, not a run's
        self.order: tuple[str, ...] = ()
        self.workers: tuple[tuple[str, ...], ...] = ()
        self.jobs = 1
        self.workers_durations_from: str | None = None
        self.shard: Shard | None = None
        self.memory_limit: MemoryLimit | None = None
        self.python = python_version()  # harness combine gives the shards' own

    def start_run(self, plan: RunPlan) -> None:
        self.order = plan.order
        self.workers, self.jobs, self.workers_durations_from = plan.workers, plan.jobs, plan.workers_durations_from
        self.shard = plan.shard
        self.memory_limit = plan.memory_limit

    def render(self, summary: Summary) -> str:
        from harness import __version__

        if self.collect_only:
            return json_text(_json_dumps(self._collection(summary), indent=1, ensure_ascii=False)) + "\n"
        document = {
            "schema_version": JSON_SCHEMA_VERSION,
            "harness_version": __version__,
            "python": self.python,
            "seed": summary.seed,
            "bucket": summary.bucket,
            "interrupted": summary.interrupted,
            "duration": round(summary.duration, 6),
            "counts": {
                "passed": summary.passed, "failed": summary.failed, "skipped": summary.skipped,
                **{outcome: summary.count(outcome) for outcome in ("error", "xfailed", "xpassed")},
            },
            "order": list(self.order),
            "jobs": self.jobs,
            "workers": [list(sequence) for sequence in self.workers],
            "workers_balance": "durations" if self.workers_durations_from else "count",
            "workers_durations_from": self.workers_durations_from,
            "shard": [self.shard.index, self.shard.count] if self.shard else None,
            "shard_plan": shard_plan_to_json(self.shard) if self.shard else None,
            "memory_limit": {"bytes": self.memory_limit.size, "source": self.memory_limit.source}
            if self.memory_limit else None,
            "tests": [report_to_json(r) for r in summary.reports],
        }

        return json_text(_json_dumps(document, indent=1, ensure_ascii=False)) + "\n"

    def _collection(self, summary: Summary) -> dict[str, Any]:
        """--collect-only's document (documented in docs/reports.md): the tests in order, and what did not load."""
        from harness import __version__

        order = collected(self.order, summary)
        kept = set(order)
        return {
            "schema_version": JSON_SCHEMA_VERSION,
            "harness_version": __version__,
            "python": self.python,
            "collect_only": True,
            "seed": summary.seed,
            "bucket": summary.bucket,
            "interrupted": summary.interrupted,
            "collected": len(order),
            "order": order,
            "jobs": self.jobs,
            "workers": [[test_id for test_id in lane if test_id in kept] for lane in self.workers],
            "shard": [self.shard.index, self.shard.count] if self.shard else None,
            "errors": [report_to_json(r) for r in summary.reports],
        }


class JUnitReporter(FileReporter):
    """JUnit XML as CI dashboards read it; residual tasks and unhandled errors go to system-err."""

    kind = "JUnit XML report"
    example = "report.xml"

    def render(self, summary: Summary) -> str:
        import xml.etree.ElementTree as ET

        suites = ET.Element("testsuites")
        suite = ET.SubElement(suites, "testsuite", {
            "name": "harness",
            "tests": str(len(summary.reports)),
            "failures": str(summary.count("failed", "xpassed")),
            "errors": str(summary.count("error")),
            "skipped": str(summary.skipped),
            "time": f"{summary.duration:.3f}",
            "hostname": xml_text(socket.gethostname()),
        })
        properties = ET.SubElement(suite, "properties")
        for name, value in (("seed", summary.seed), ("bucket", summary.bucket), ("interrupted", summary.interrupted)):
            ET.SubElement(properties, "property", {"name": name, "value": str(value)})
        for report in summary.reports:
            self._testcase(suite, report)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"

    def _testcase(self, suite: ET.Element, report: TestReport) -> None:
        import xml.etree.ElementTree as ET

        report = clipped(report, REPORT_LIMIT)
        classname, name = junit_names(report.id)
        element = ET.SubElement(suite, "testcase", {
            "classname": xml_text(classname), "name": xml_text(name),
            "time": f"{report.duration:.3f}",
        })
        tag = {"failed": "failure", "xpassed": "failure", "error": "error", "skipped": "skipped"}.get(report.outcome)
        if tag is not None:
            child = ET.SubElement(element, tag, {"message": xml_text(report.message)})
            child.text = xml_text(report.longrepr)
        if report.stdout:
            ET.SubElement(element, "system-out").text = xml_text(report.stdout)
        err = _findings_text(report) + report.stderr
        if err:
            ET.SubElement(element, "system-err").text = xml_text(err)


# unittest's id for a failing class or module fixture: `setUpClass (pkg.mod.Class)`, `tearDownModule (pkg.mod)`
_FIXTURE_ID = re.compile(r"^(?P<name>\w+) \((?P<parent>[\w.]+)\)$")


def junit_names(test_id: str) -> tuple[str, str]:
    """classname and name for a result's id.

    `pkg.mod.Class.test_x[trio]` splits before the method name, the `[backend]` suffix (whatever it holds)
    staying in the name; a fixture failure `setUpClass (pkg.mod.Class)` is named `setUpClass` in its class;
    an id without a dot (a module that failed to import) is both.
    """
    fixture = _FIXTURE_ID.match(test_id)
    if fixture:
        return fixture["parent"], fixture["name"]
    base = test_id.partition("[")[0]
    classname, _, name = base.rpartition(".")
    return (classname, name + test_id[len(base):]) if classname else (test_id, test_id)


def _findings_text(report: TestReport) -> str:
    lines = [f"residual {task.describe()}" for task in report.findings.residual_tasks]
    lines += [f"pending {callback.describe()}" for callback in report.findings.pending_callbacks]
    lines += [f"unhandled error: {error}" for error in report.findings.unhandled_errors]
    lines += [
        f"state change ({change.probe}, {'restored' if change.restored else 'not restored'}): {change.detail}"
        for change in report.findings.state_changes
    ]
    return "".join(line + "\n" for line in lines)
