"""Running the harness in a subprocess on a sample suite, and reading what it printed and wrote."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(REPO, "tests", "samples")
# A thread in the runner before it forks: it runs the tests in its own process instead (see thread_in_runner/).
IN_PROCESS = {"PYTHONPATH": os.path.join(SAMPLES, "thread_in_runner")}
TIMEOUT = 60  # seconds; a run of a sample takes well under one, so hitting this means a hang


@dataclasses.dataclass(frozen=True)
class Run:
    """What one run of the harness left: exit code, output, and the parsed reports."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    elapsed: float
    report: dict[str, Any] | None = None
    junit: ET.Element | None = None

    @property
    def tests(self) -> dict[str, dict[str, Any]]:
        """The JSON report's entries by test id."""
        assert self.report is not None, "this run wrote no JSON report"
        return {entry["id"]: entry for entry in self.report["tests"]}

    @property
    def outcomes(self) -> dict[str, str]:
        return {test_id: entry["outcome"] for test_id, entry in self.tests.items()}

    @property
    def order(self) -> list[str]:
        assert self.report is not None, "this run wrote no JSON report"
        return list(self.report["order"])

    def test(self, suffix: str) -> dict[str, Any]:
        """The one JSON entry whose id ends with `suffix`."""
        found = [entry for test_id, entry in self.tests.items() if test_id.endswith(suffix)]
        assert len(found) == 1, f"{len(found)} tests end with {suffix!r}: {sorted(self.tests)}"
        return found[0]

    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def describe(self) -> str:
        """Everything a failing assertion needs to show."""
        return (
            f"harness {' '.join(self.args)} exited {self.code} after {self.elapsed:.2f} s\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


class Started:
    """A run of the harness under way; `result()` waits for it (so several runs can overlap)."""

    def __init__(
        self, sample: str, args: tuple[str, ...], json_report: bool, junit: bool, env: dict[str, str] | None = None
    ) -> None:
        self.args = args
        self._folder = tempfile.TemporaryDirectory(prefix="harness-e2e-")
        self.json_path = os.path.join(self._folder.name, "report.json") if json_report else None
        self.junit_path = os.path.join(self._folder.name, "report.xml") if junit else None
        extra = [*(["--json", self.json_path] if self.json_path else []),
                 *(["--junit-xml", self.junit_path] if self.junit_path else [])]
        self._run: Run | None = None
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness", *args, *extra],
            cwd=os.path.join(SAMPLES, sample), env=environment(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )

    def result(self) -> Run:
        if self._run is None:
            self._run = self._wait()
        return self._run

    def _wait(self) -> Run:
        try:
            stdout, stderr = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            try:  # a process the run left behind may still hold the pipes: don't wait on it for ever
                stdout, stderr = self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                stdout, stderr = "", "(its output could not be read: the pipes stayed open after it was killed)"
            raise AssertionError(f"harness {' '.join(self.args)} hung for {TIMEOUT} s\n{stdout}\n{stderr}") from None
        elapsed = time.perf_counter() - self.started
        try:
            return Run(
                args=self.args, code=self.process.returncode, stdout=stdout, stderr=stderr, elapsed=elapsed,
                report=_read_json(self.json_path), junit=_read_xml(self.junit_path),
            )
        finally:
            self._folder.cleanup()


# Runs by their arguments: a class whose setUpClass runs again (its tests split by --bucket global) reuses them.
_started: dict[tuple[Any, ...], Started] = {}


def start(
    sample: str, *options: str, targets: tuple[str, ...] = (".",), json_report: bool = True, junit: bool = False,
    fresh: bool = False, env: dict[str, str] | None = None,
) -> Started:
    """Start `python -m harness OPTIONS TARGETS` in tests/samples/SAMPLE, writing a JSON report unless told not to.

    The same arguments give the same run, started once per process, unless `fresh` asks for a new one.
    """
    key = (sample, options, targets, json_report, junit, tuple(sorted((env or {}).items())))
    if fresh or key not in _started:
        _started[key] = Started(sample, (*options, *targets), json_report, junit, env)
    return _started[key]


def run_harness(
    sample: str, *options: str, targets: tuple[str, ...] = (".",), json_report: bool = True, junit: bool = False
) -> Run:
    """Run `python -m harness OPTIONS TARGETS` in tests/samples/SAMPLE and wait for it."""
    return start(sample, *options, targets=targets, json_report=json_report, junit=junit).result()


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The subprocess sees this checkout first, and writes no bytecode into the samples.

    `extra` adds variables; its PYTHONPATH goes first, before this checkout.
    """
    env = dict(os.environ)
    # Output as a plain run prints it, even when this suite runs on GitHub Actions or with FORCE_COLOR set; and
    # no cache written into the samples: the tests of the cache set these themselves.
    for name in ("GITHUB_ACTIONS", "GITHUB_WORKSPACE", "FORCE_COLOR", "NO_COLOR"):
        env.pop(name, None)
    env["HARNESS_CACHE_WRITES"] = "none"
    first = (extra or {}).get("PYTHONPATH")
    env.update({key: value for key, value in (extra or {}).items() if key != "PYTHONPATH"})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [first, REPO, env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _read_json(path: str | None) -> dict[str, Any] | None:
    if path is None or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _read_xml(path: str | None) -> ET.Element | None:
    if path is None or not os.path.exists(path):
        return None
    return ET.parse(path).getroot()


# What plain unittest makes of a sample: per test id, the worst outcome it was given, in the harness's words.
_UNITTEST_OUTCOMES = r"""
import json, sys, unittest

SEVERITY = ["passed", "xfailed", "skipped", "xpassed", "failed", "error"]

class Recording(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.outcomes = {}

    def _put(self, test, outcome):
        test = getattr(test, "test_case", test)  # a subtest counts for its test
        old = self.outcomes.get(test.id(), "passed")
        self.outcomes[test.id()] = max(old, outcome, key=SEVERITY.index)

    def startTest(self, test):
        super().startTest(test)
        self.outcomes.setdefault(test.id(), "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err); self._put(test, "failed")

    def addError(self, test, err):
        super().addError(test, err); self._put(test, "error")

    def addSkip(self, test, reason):
        super().addSkip(test, reason); self._put(test, "skipped")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err); self._put(test, "xfailed")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test); self._put(test, "xpassed")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._put(subtest, "failed" if issubclass(err[0], test.failureException) else "error")

suite = unittest.TestLoader().discover(".", pattern="test*.py", top_level_dir=".")
result = Recording()
suite.run(result)
print(json.dumps({"outcomes": result.outcomes, "tests_run": result.testsRun}))
"""


def unittest_outcomes(sample: str) -> dict[str, Any]:
    """Run the sample under plain unittest: {"outcomes": {id: outcome}, "tests_run": N}."""
    done = subprocess.run(
        [sys.executable, "-c", _UNITTEST_OUTCOMES], cwd=os.path.join(SAMPLES, sample), env=environment(),
        capture_output=True, text=True, timeout=TIMEOUT, check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def line_of(sample: str, filename: str, text: str) -> int:
    """The number of the one line of a sample file that contains `text`, for pinning creation sites."""
    with open(os.path.join(SAMPLES, sample, filename), encoding="utf-8") as file:
        found = [number for number, line in enumerate(file, 1) if text in line]
    assert len(found) == 1, f"{text!r} is on lines {found} of {sample}/{filename}"
    return found[0]
