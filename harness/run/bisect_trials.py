"""The trials of --bisect: each a fresh `python -m harness` process with --no-restore, its JSON report read
back (an outcome, the state changes a probe saw before the test)."""
from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from harness.reports.records import Outcome, StateChange
from harness.run import cache

# What a bisection concluded (a trial that cannot go on says which).
Verdict = Literal["polluted", "depends", "fails_alone", "not_reproduced", "inconclusive", "interrupted", "broken"]

MIN_TRIAL_TIMEOUT = 60.0  # seconds
_OK: tuple[Outcome, ...] = ("passed", "skipped", "xfailed")


TrialKind = Literal["order", "alone", "search", "others"]


@dataclass(frozen=True)
class Trial:
    """One run of harness in a subprocess: what ran before the test, and how the test did."""

    number: int
    kind: TrialKind  # the full run, the test alone, a step of the search, or the tests other than the polluters
    before: tuple[str, ...]  # the tests run before the test, in run order
    outcome: Outcome  # the test's
    message: str
    duration: float

    @property
    def failed(self) -> bool:
        return self.outcome not in _OK


class TrialError(Exception):
    """A trial gave no answer (it hung, crashed or could not run): the bisection stops there."""

    def __init__(self, message: str, verdict: Verdict = "inconclusive") -> None:
        super().__init__(message)
        self.verdict = verdict


@dataclass(frozen=True)
class Selection:
    """The tests of a trial: its targets, and the ids kept from what they load when the ids cannot be targets."""

    targets: tuple[str, ...]
    ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Command:
    """How trials run harness, and the command printed to repeat one."""

    program: str  # what the user ran: "python -m harness", "python runtests.py" or "harness"
    seed: int
    bucket: str
    options: tuple[str, ...] = ()  # settings that change outcomes: --strict, --teardown-timeout, the probes
    pythonpath: tuple[str, ...] = ()  # folders that the user's targets import from, when not this one
    # The user's targets, when some of the tests' ids do not load their test as a target (a doctest, a class made
    # under another name): trials then load these and keep their tests with --id. None: trials name tests by id.
    select_from: tuple[str, ...] | None = None

    def selecting(self, ids: Sequence[str]) -> Selection:
        """The trial that runs the tests of these ids."""
        if self.select_from is None:
            return Selection(tuple(ids))
        return Selection(self.select_from, tuple(ids))

    def line(self, selection: Selection) -> str:
        """What a user pastes into a shell to repeat a trial."""
        env = f"PYTHONPATH={shlex.quote(os.pathsep.join(self.pythonpath))} " if self.pythonpath else ""
        ids = [arg for test_id in selection.ids or () for arg in _id_option(test_id)]
        return env + " ".join([self.program, *map(shlex.quote, [*self._flags(), *ids, *selection.targets])])

    def argv(self, selection: Selection, json_path: str, extra: Sequence[str] = (), ids_file: str = "") -> list[str]:
        """A trial: this Python, quiet, writing the JSON report the outcome is read from; the selection's ids, if any,
        are listed in `ids_file` (a command line holds only so many)."""
        ids = ["--id", "@" + ids_file] if selection.ids is not None else []
        return [sys.executable, "-m", "harness", *self._flags(), "-q", "--json", json_path, *extra, *ids,
                *selection.targets]

    def environment(self) -> dict[str, str]:
        env = {**os.environ, cache.WRITES_VARIABLE: "none"}  # a trial must not replace the user's record of failures
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [*self.pythonpath, env.get("PYTHONPATH")]))
        return env

    def _flags(self) -> list[str]:
        return ["--seed", str(self.seed), "--bucket", self.bucket, "--no-restore", *self.options]


def _id_option(test_id: str) -> list[str]:
    return [f"--id={test_id}"] if test_id.startswith("-") else ["--id", test_id]


class Trials:
    """Runs trials one at a time in `folder`, with a progress line each, and keeps them."""

    def __init__(self, command: Command, test_id: str, folder: str, out: TextIO, quiet: bool = False) -> None:
        self.command = command
        self.test_id = test_id
        self.folder = folder
        self.out = out
        self.quiet = quiet
        self.done: list[Trial] = []
        self.timeout: float | None = None  # none for the full run, whose duration sets it
        self.junit = False  # a JUnit report is set up: write the trials' somewhere else than the user's
        self.html = False  # the same for an HTML report
        self.cwd: str | None = None

    def run(self, kind: TrialKind, before: Sequence[str], left: int, targets: Sequence[str] | None = None,
            extra: Sequence[str] = ()) -> Trial:
        """Run the test after `before` (for the full run, the user's `targets`) and say how it did."""
        number = len(self.done) + 1
        self.say(f"bisect: trial {number} of ~{number - 1 + left}: {self._what(kind, before)} ... ")
        json_path = os.path.join(self.folder, f"trial-{number}.json")
        if self.junit:
            extra = [*extra, "--junit-xml", os.path.join(self.folder, f"trial-{number}.xml")]
        if self.html:
            extra = [*extra, "--html", os.path.join(self.folder, f"trial-{number}.html")]
        shown = self.command.selecting([*before, self.test_id]) if targets is None else Selection(tuple(targets))
        ids_file = os.path.join(self.folder, f"trial-{number}.ids")
        if shown.ids is not None:
            with open(ids_file, "w", encoding="utf-8") as file:
                file.write("".join(f"{test_id}\n" for test_id in shown.ids))
        started = time.perf_counter()
        code = self._wait(self.command.argv(shown, json_path, extra, ids_file), number, shown)
        outcome, message = self._read(json_path, code, number, shown)
        trial = Trial(number, kind, tuple(before), outcome, message, time.perf_counter() - started)
        self.done.append(trial)
        detail = f": {message}" if trial.failed and message and kind != "search" else ""
        self.say(("fails" if trial.failed else "passes") + detail + "\n")
        return trial

    def line(self, ids: Sequence[str]) -> str:
        """The command that runs the tests of these ids, in this order's seed, for a user to paste."""
        return self.command.line(self.command.selecting(ids))

    def say(self, text: str, always: bool = False) -> None:
        """Write progress; nothing under -q unless `always`."""
        if always or not self.quiet:
            self.out.write(text)
            self.out.flush()

    def _what(self, kind: TrialKind, before: Sequence[str]) -> str:
        name = short_name(self.test_id)
        if kind == "order":
            return f"the full run ({tests_text(len(before))} before {name})"
        if kind == "alone":
            return f"{name} alone"
        if kind == "others":
            return f"the other {tests_text(len(before))} before {name}"
        return f"{before[0]} before {name}" if len(before) == 1 else f"{tests_text(len(before))} before {name}"

    def _wait(self, argv: list[str], number: int, shown: Selection) -> int:
        with open(os.path.join(self.folder, f"trial-{number}.err"), "w", encoding="utf-8") as err:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, cwd=self.cwd,
                env=self.command.environment(), start_new_session=os.name == "posix",
            )
            try:
                return process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _stop(process)
                self.say("did not finish\n")
                raise TrialError(
                    f"trial {number} did not finish in {self.timeout:.0f} s and was stopped: a test hangs when "
                    f"these tests run together; see which with: {self.command.line(shown)} -v"
                ) from None
            except BaseException:  # Ctrl-C or SIGTERM: the trial has a session of its own, so it is stopped here
                _stop(process)
                self.say("stopped\n")
                raise

    def _read(self, json_path: str, code: int, number: int, shown: Selection) -> tuple[Outcome, str]:
        report = load_json(json_path)
        found = outcome_in(report, self.test_id) if report is not None and code in (0, 1) else None
        if found is not None:
            return found
        self.say("no answer\n")
        output = _tail(os.path.join(self.folder, f"trial-{number}.err"))
        if report is not None and code in (0, 1):
            raise TrialError(f"{self.test_id} did not run in trial {number} (a failfast setting?); see why with: "
                             f"{self.command.line(shown)} -v")
        if code in (3, 4, 5):
            raise TrialError(f"trial {number} exited with code {code}, which is a bug in harness; please report it "
                             f"with this output:{output}", verdict="broken")
        raise TrialError(f"trial {number} {_ended(code)} before the test had a result; see why with: "
                         f"{self.command.line(shown)} -v{output}")


def outcome_in(report: Mapping[str, Any], test_id: str) -> tuple[Outcome, str] | None:
    """The test's outcome and message in a JSON report; a setUpClass or setUpModule that failed fails it too."""
    for entry in report["tests"]:
        if entry["id"] == test_id:
            return entry["outcome"], entry["message"]
    for entry in report["tests"]:
        scope = fixture_scope(entry["id"])
        if scope and entry["outcome"] not in _OK and test_id.startswith(scope + "."):
            return "error", f"{entry['id']}: {entry['message']}"
    return None


def fixture_scope(entry_id: str) -> str | None:
    """`mod.Class` for a fixture's entry such as `setUpClass (mod.Class)`; None for a test."""
    match = re.fullmatch(r"\w+ \(([\w.]+)\)", entry_id)
    return match[1] if match else None


def state_changes_before(report: Mapping[str, Any], before: Sequence[str]) -> dict[str, tuple[StateChange, ...]]:
    """What the probes saw each test of `before` change; a fixture's changes count for each of its tests."""
    changes: dict[str, tuple[StateChange, ...]] = {}
    for entry in report["tests"]:
        found = tuple(StateChange(c["probe"], c["detail"], c["restored"]) for c in entry.get("state_changes", ()))
        scope = fixture_scope(entry["id"])
        for test_id in before if found else ():
            if test_id == entry["id"] or (scope and test_id.startswith(scope + ".")):
                changes[test_id] = changes.get(test_id, ()) + found
    return changes


def short_name(test_id: str) -> str:
    """`test_x[trio]` for `mod.Class.test_x[trio]`: how progress lines name the test."""
    name, bracket, backend = test_id.partition("[")
    return name.rsplit(".", 1)[-1] + bracket + backend


def trial_timeout(full_run: float) -> float:
    """How long a trial may take: ten times the full run, and never under a minute."""
    return max(MIN_TRIAL_TIMEOUT, 10 * full_run)


def _ended(code: int) -> str:
    """How a process ended, from its return code: `exited with code 2`, `was killed by SIGSEGV`."""
    if code >= 0:
        return f"exited with code {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


def tests_text(count: int, noun: str = "test") -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _stop(process: subprocess.Popen[Any]) -> None:
    """End a trial and what it started: SIGTERM to its process group, then SIGKILL if it is still there."""
    if os.name != "posix":
        process.kill()
        process.wait()
        return
    for signum, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
            return


def load_json(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def _tail(path: str, count: int = 8) -> str:
    """The last lines a trial wrote to stderr, indented, for a message about it."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = file.read().splitlines()[-count:]
    except OSError:
        return ""
    return "".join(f"\n    {line}" for line in lines)
