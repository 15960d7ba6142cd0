"""Polluter bisection: the fewest earlier tests that make a test fail (or pass), found by trial runs."""
from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TextIO

from harness.reports.records import Outcome, StateChange
from harness.reports.reporters import JsonReporter, python_version, write_atomically
from harness.run import cache, interrupts, loader, planning
from harness.run.config import Config, UsageError

Verdict = Literal["polluted", "depends", "fails_alone", "not_reproduced", "inconclusive", "interrupted", "broken"]

# The exit code of --bisect by verdict, in cli's numbering: 0 when it named the tests to look at.
EXIT_CODES: dict[Verdict, int] = {
    "polluted": 0, "depends": 0,
    "fails_alone": 1, "not_reproduced": 1, "inconclusive": 1,
    "interrupted": 2,
    "broken": 3,  # a trial's harness exited 3, 4 or 5, or the JSON could not be written
}
JSON_SCHEMA_VERSION = 1
MIN_TRIAL_TIMEOUT = 60.0  # seconds
_OK: tuple[Outcome, ...] = ("passed", "skipped", "xfailed")


# ------------------------------------------------------------------------------------------------------
# the search: pure, over lists of ids and a predicate
# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Minimized:
    """What a search found: a 1-minimal subset (None when the whole set does not reproduce), and its cost."""

    found: tuple[str, ...] | None
    trials: int


class Search:
    """The smallest subset of some ids for which `reproduces` holds, counting each new call as a trial.

    `reproduces(subset)` runs the test after `subset` and says whether what is being explained
    happened (the test failed; in the dependency case, passed). The empty subset must not reproduce:
    the test alone was tried first. Answers are cached by set, since the seed fixes the order of any
    subset.

    The search takes prefixes of the ids, suspects first: halving finds the shortest prefix that
    reproduces, whose last id is a culprit (without it, the rest of that prefix does not reproduce).
    That id is kept, and the search goes on among the ids before it, each trial running the kept ids
    too, until the kept ids reproduce on their own. k culprits among n ids take at most
    k·(⌈log2 n⌉ + 1) trials, plus one to check that all n reproduce when the first halving misses, plus
    one for suspects that do not reproduce. When adding ids to a set that reproduces never stops it
    reproducing, the result is 1-minimal: without any one of its ids, it does not reproduce.
    """

    def __init__(
        self, reproduces: Callable[[list[str]], bool], known: Mapping[frozenset[str], bool] | None = None
    ) -> None:
        self.reproduces = reproduces
        self.trials = 0
        self.smallest: tuple[str, ...] | None = None  # the smallest subset seen to reproduce so far
        self._answers: dict[frozenset[str], bool] = dict(known or {})
        self._left = 0
        self._items: list[str] = []

    @property
    def left(self) -> int:
        """About how many trials are left, the running one included."""
        return max(self._left, 1)

    def check(self, items: Sequence[str]) -> bool:
        """Whether `items` reproduces: a cached answer, or one trial."""
        key = frozenset(items)
        if key not in self._answers:
            self.trials += 1
            self._answers[key] = self.reproduces(list(items))
            self._left -= 1
        if self._answers[key] and (self.smallest is None or len(items) < len(self.smallest)):
            self.smallest = tuple(items)
        return self._answers[key]

    def minimize(self, items: Sequence[str], suspects: Sequence[str] = ()) -> tuple[str, ...] | None:
        """A 1-minimal subset of `items` that reproduces; `suspects`, a few likely ids, are tried first."""
        self._items = list(items)
        suspected = set(suspects)
        ordered = [item for item in items if item in suspected] + [item for item in items if item not in suspected]
        hint = sum(item in suspected for item in items)  # how many suspects lead `ordered`
        kept: list[str] = []
        top = len(ordered)  # with `kept`, ordered[:top] reproduces (before the first culprit: taken to)
        while not kept or not self._check(kept, []):
            shortest = self._shortest(kept, ordered[:top], hint)
            if shortest is None:
                return None
            kept.append(ordered[shortest - 1])
            top = shortest - 1
        return tuple(self._in_order(kept, []))

    def _shortest(self, kept: list[str], candidates: list[str], hint: int) -> int | None:
        """The fewest leading `candidates` that reproduce with `kept`, by halving; None when all of them do not.

        `kept` plus all the candidates reproduces, except in the first round, where that is checked once a
        trial does not. The suspects, the first `hint` candidates, are tried first in the first round, and in
        later ones when that costs no more than halving.
        """
        low, high, confirmed = 0, len(candidates), bool(kept)  # with `kept`, [:low] does not reproduce, [:high] does
        hinted = 0 < hint < high and (not kept or _steps(max(hint, high - hint)) < _steps(high))
        middle = hint if hinted else high // 2
        while high - low > 1:
            self._left = 1 + _steps(middle - low) + (middle > 1)  # should it reproduce: then the kept ids alone
            if self._check(kept, candidates[:middle]):
                high = middle
            elif confirmed or self._check(kept, candidates[:high]):
                low = middle
            else:
                return None
            confirmed, middle = True, (low + high) // 2
        if not high or not self._check(kept, candidates[:high]):  # cached, unless it is the first round's top
            return None
        return high

    def _check(self, kept: list[str], prefix: list[str]) -> bool:
        return self.check(self._in_order(kept, prefix))

    def _in_order(self, kept: list[str], prefix: list[str]) -> list[str]:
        """`kept` and `prefix` in the order of the items (the order they run in)."""
        chosen = {*kept, *prefix}
        return [item for item in self._items if item in chosen]


def minimize(
    items: Sequence[str], reproduces: Callable[[list[str]], bool], suspects: Sequence[str] = ()
) -> Minimized:
    """A 1-minimal subset of `items` for which `reproduces` holds, and how many calls that took.

    `reproduces([])` is taken to be false without asking (the test alone was tried first).
    """
    search = Search(reproduces, {frozenset(): False})
    return Minimized(search.minimize(items, suspects), search.trials)


def estimate(count: int) -> int:
    """About how many trials finding one culprit among `count` ids takes: the halving, then the culprit alone."""
    return _steps(count) + 1 if count > 1 else 1


def _steps(count: int) -> int:
    """How many halvings narrow `count` ids down to one: ⌈log2 count⌉."""
    return (count - 1).bit_length() if count > 1 else 0


# ------------------------------------------------------------------------------------------------------
# trials: one run of harness each, in a fresh subprocess
# ------------------------------------------------------------------------------------------------------
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
class Command:
    """How trials run harness, and the command printed to repeat one."""

    program: str  # what the user ran: "python -m harness", "python runtests.py" or "harness"
    seed: int
    bucket: str
    options: tuple[str, ...] = ()  # settings that change outcomes: --strict, --teardown-timeout, the probes
    pythonpath: tuple[str, ...] = ()  # folders that the user's targets import from, when not this one

    def line(self, targets: Sequence[str]) -> str:
        """What a user pastes into a shell to repeat a trial."""
        env = f"PYTHONPATH={shlex.quote(os.pathsep.join(self.pythonpath))} " if self.pythonpath else ""
        return env + " ".join([self.program, *map(shlex.quote, [*self._flags(), *targets])])

    def argv(self, targets: Sequence[str], json_path: str, extra: Sequence[str] = ()) -> list[str]:
        """A trial: this Python, quiet, writing the JSON report the outcome is read from."""
        return [sys.executable, "-m", "harness", *self._flags(), "-q", "--json", json_path, *extra, *targets]

    def environment(self) -> dict[str, str]:
        env = {**os.environ, cache.WRITES_VARIABLE: "none"}  # a trial must not replace the user's record of failures
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [*self.pythonpath, env.get("PYTHONPATH")]))
        return env

    def _flags(self) -> list[str]:
        return ["--seed", str(self.seed), "--bucket", self.bucket, "--no-restore", *self.options]


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
        shown = [*before, self.test_id] if targets is None else targets
        started = time.perf_counter()
        code = self._wait(self.command.argv(shown, json_path, extra), number, shown)
        outcome, message = self._read(json_path, code, number, shown)
        trial = Trial(number, kind, tuple(before), outcome, message, time.perf_counter() - started)
        self.done.append(trial)
        detail = f": {message}" if trial.failed and message and kind != "search" else ""
        self.say(("fails" if trial.failed else "passes") + detail + "\n")
        return trial

    def say(self, text: str, always: bool = False) -> None:
        """Write progress; nothing under -q unless `always`."""
        if always or not self.quiet:
            self.out.write(text)
            self.out.flush()

    def _what(self, kind: TrialKind, before: Sequence[str]) -> str:
        name = short_name(self.test_id)
        if kind == "order":
            return f"the full run ({_tests(len(before))} before {name})"
        if kind == "alone":
            return f"{name} alone"
        if kind == "others":
            return f"the other {_tests(len(before))} before {name}"
        return f"{before[0]} before {name}" if len(before) == 1 else f"{_tests(len(before))} before {name}"

    def _wait(self, argv: list[str], number: int, shown: Sequence[str]) -> int:
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

    def _read(self, json_path: str, code: int, number: int, shown: Sequence[str]) -> tuple[Outcome, str]:
        report = _load_json(json_path)
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


def _tests(count: int, noun: str = "test") -> str:
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


def _load_json(path: str) -> dict[str, Any] | None:
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


# ------------------------------------------------------------------------------------------------------
# a bisection
# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bisection:
    """The result of --bisect, as printed and as written to the JSON file."""

    test_id: str
    seed: int
    bucket: str
    verdict: Verdict
    message: str  # one line: what was found, or why nothing was
    culprits: tuple[str, ...] = ()  # the polluters or the tests it depends on; when stopped early, the fewest so far
    minimal: bool = False  # True when `culprits` is 1-minimal
    state_changes: Mapping[str, tuple[StateChange, ...]] = field(default_factory=dict)  # what each culprit changed
    others_fail: bool | None = None  # whether the other tests before it make it fail too (None: not tried)
    advice: tuple[str, ...] = ()  # what to do next, a line each
    reproduce: str = ""  # the command that shows the failure with the fewest tests
    trials: tuple[Trial, ...] = ()
    duration: float = 0.0

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def main(config: Config, program: str, out: TextIO | None = None) -> int:
    """--bisect TEST_ID: check, search, print what was found and how to repeat it; return the exit code.

    `program` is how the user started harness, for the commands printed.
    """
    out = sys.stdout if out is None else out
    if config.seed is None:
        raise UsageError(
            "--bisect needs --seed: the seed fixes the order to reproduce; give the one in the failing run's "
            "'rerun this order with' line"
        )
    problem = JsonReporter(config.json).problem() if config.json else None
    if problem:
        raise UsageError(problem)
    test_id = config.bisect or ""
    before = _tests_before(config, test_id)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="harness-bisect-") as folder, interrupts.terminate_as_interrupt():
        trials = Trials(_command(config, program), test_id, folder, out, quiet=config.verbosity == 0)
        trials.junit = config.junit_xml is not None
        trials.html = config.html is not None
        result = _Bisector(config, test_id, before, trials).run()
    result = replace(result, trials=tuple(trials.done), duration=time.perf_counter() - started)
    out.write("\n" + "\n".join(render(result)) + "\n")
    out.flush()
    return _write(result, config.json)


def _tests_before(config: Config, test_id: str) -> list[str]:
    """The tests that run before `test_id` in the seed's order; a usage error when it was not collected."""
    assert config.seed is not None
    plan, tests = planning.plan(config, config.seed)
    if test_id not in plan.order:
        raise UsageError(_not_collected(config, test_id, plan.order))
    runnable = {loader.test_id(test) for test in tests if loader.placement(test).cls}  # not modules that failed
    if test_id not in runnable:
        raise UsageError(f"--bisect {test_id!r} is a module that failed to import, not a test other tests can "
                         "break; fix the import error first")
    return [other for other in plan.order[: plan.order.index(test_id)] if other in runnable]


def _not_collected(config: Config, test_id: str, collected: Sequence[str]) -> str:
    where = " ".join(config.targets or config.testpaths) + (" with -k" if config.keywords else "")
    near = [other for other in collected if other.startswith(test_id + "[") or other.endswith("." + test_id)]
    near += [other for other in difflib.get_close_matches(test_id, collected, n=3, cutoff=0.8) if other not in near]
    hint = (f"did you mean {' or '.join(map(repr, near[:3]))}?" if near
            else f"give a test id as the run printed it, such as {collected[0]!r}")
    return f"--bisect {test_id!r} is not one of the {_tests(len(collected))} collected from {where}; {hint}"


def _command(config: Config, program: str) -> Command:
    """The trials' command: the seed and bucket, and the settings that can change a test's outcome."""
    assert config.seed is not None
    options: list[str] = ["--strict"] if config.strict else []
    if config.teardown_timeout != Config.teardown_timeout:
        options += ["--teardown-timeout", f"{config.teardown_timeout:g}"]
    if config.probes:
        options += ["--probes", ",".join(config.probes)]
    if config.disable_probes:
        options += ["--no-probes", ",".join(config.disable_probes)]
    if config.backend is not None:  # the loop a test runs on can decide whether it fails
        options += ["--backend", config.backend]
    if config.repeat > 1:  # the ids of repeated tests end in #N, which only names a test under --repeat
        options += ["--repeat", str(config.repeat)]
    return Command(program, config.seed, config.bucket, tuple(options), _import_roots(config.targets))


def _import_roots(targets: Sequence[str]) -> tuple[str, ...]:
    """The folders, other than this one, that ids of tests in directory and file targets are imported from.

    Discovery put them on sys.path; a trial names its tests by id, so they go on its PYTHONPATH.
    """
    roots: list[str] = []
    for target in filter(os.path.exists, targets):
        folder = os.path.abspath(target if os.path.isdir(target) else os.path.dirname(os.path.abspath(target)))
        while os.path.isfile(os.path.join(folder, "__init__.py")):
            folder = os.path.dirname(folder)
        relative = os.path.relpath(folder)
        if relative != "." and relative not in roots:
            roots.append(relative)
    return tuple(roots)


class _Bisector:
    """The steps of one bisection; a trial without an answer, Ctrl-C or SIGTERM ends it with what is known."""

    def __init__(self, config: Config, test_id: str, before: list[str], trials: Trials) -> None:
        self.config = config
        self.test_id = test_id
        self.before = before
        self.trials = trials
        self.base = Bisection(test_id, config.seed or 0, config.bucket, "interrupted", "")
        self.search: Search | None = None
        self.polluted = True  # False in the dependency case: the search is for what makes the test pass

    def run(self) -> Bisection:
        try:
            return self._steps()
        except TrialError as error:
            return self._stopped(error.verdict, str(error))
        except KeyboardInterrupt as stop:
            how = "terminated (SIGTERM)" if isinstance(stop, interrupts.Terminated) else "interrupted (Ctrl-C)"
            return self._stopped("interrupted", f"{how} during trial {len(self.trials.done) + 1}")

    def _steps(self) -> Bisection:
        name, seed, bucket = self.test_id, self.config.seed, self.config.bucket
        self.trials.say(f"bisect: {name} with --seed {seed} --bucket {bucket}: {_tests(len(self.before))} run "
                        "before it; each trial is a fresh process with --no-restore\n", always=True)
        # 1. The full run, with the user's targets: does the test fail in this order?
        order, report = self._full_run()
        # 2. The test alone. Failing alone is not pollution, unless it passed in the order: then it depends on a test.
        alone = self.trials.run("alone", [], self._expected() - 1)
        if alone.failed == order.failed:
            return self._fails_alone(alone) if alone.failed else self._not_reproduced()
        # 3. The shortest prefix that breaks it, the tests the probes saw change global state first (Search).
        self.polluted = order.failed
        self.search = Search(self._reproduces, {frozenset(): False})
        changes = state_changes_before(report, self.before)
        found = self.search.minimize(self.before, suspects=list(changes))
        if found is None:
            return self._not_the_tests_before()
        found_it = replace(self.base, culprits=found, minimal=True,
                           state_changes={test_id: changes.get(test_id, ()) for test_id in found})
        # 4. Polluters, and whether other tests break it too; or the tests it depends on.
        return self._polluted(found_it) if self.polluted else self._depends(found_it)

    def _fails_alone(self, alone: Trial) -> Bisection:
        return replace(self.base, verdict="fails_alone", message=(
            f"{self.test_id} fails on its own too ({alone.message or alone.outcome}): other tests do not make it "
            "fail"), reproduce=self.trials.command.line([self.test_id]), advice=(
            "fix the test itself; if it passes in another seed's order, it may depend on a test that runs before it "
            "there: run --bisect with that seed to name the test",))

    def _not_reproduced(self) -> Bisection:
        config = self.config
        return replace(self.base, verdict="not_reproduced", message=(
            f"{self.test_id} passed in the order of --seed {config.seed} --bucket {config.bucket}, and alone: "
            "nothing to bisect"), advice=(
            "check that the seed, the bucket and the targets are those of the failing run (its 'rerun this order "
            "with' line); a test that fails only sometimes in one order is flaky, not polluted",))

    def _full_run(self) -> tuple[Trial, dict[str, Any]]:
        config = self.config
        extra = [f"--pattern={config.pattern}"] if config.pattern != Config.pattern else []
        for keyword in config.keywords:
            extra += ["-k", keyword]
        order = self.trials.run("order", self.before, self._expected(), config.targets, extra)
        self.trials.timeout = trial_timeout(order.duration)
        report = _load_json(os.path.join(self.trials.folder, "trial-1.json")) or {"tests": []}
        return order, report

    def _expected(self) -> int:
        """About how many trials the bisection takes: the full run, the test alone, the search, the other tests."""
        count = len(self.before)
        return 2 + estimate(count) + (count > 1)

    def _reproduces(self, subset: list[str]) -> bool:
        """One search trial: did the test fail (in the dependency case, pass) after `subset`?"""
        assert self.search is not None
        left = self.search.left + self.polluted  # and the trial of the other tests, for polluters
        return self.trials.run("search", subset, left).failed == self.polluted

    def _polluted(self, found_it: Bisection) -> Bisection:
        found = found_it.culprits
        others = [test_id for test_id in self.before if test_id not in found]
        others_fail = self.trials.run("others", others, 1).failed if others else None
        advice = [f"{'this test leaves' if len(found) == 1 else 'these tests leave'} state behind: put it back in "
                  "tearDown or a cleanup (or use unittest.mock.patch), or make the failing test set what it reads"]
        if others_fail:
            advice.append(f"the other {_tests(len(others))} before it make it fail too: fix the above, then run "
                          "--bisect again to find the next")
        only = "only " if len(found) > 1 else ""
        return replace(found_it, verdict="polluted", message=f"{self.test_id} fails {only}{_after(found, 'passes')}",
                       others_fail=others_fail, advice=tuple(advice),
                       reproduce=self.trials.command.line([*found, self.test_id]))

    def _depends(self, found_it: Bisection) -> Bisection:
        found = found_it.culprits
        return replace(found_it, verdict="depends", message=(
            f"{self.test_id} fails on its own and passes only {_after(found, 'fails')}: it depends on "
            f"{'that test' if len(found) == 1 else 'them'}"), advice=(
            f"make it set up what it needs itself (in setUp or setUpClass); it passes with: "
            f"{self.trials.command.line([*found, self.test_id])}",), reproduce=self.trials.command.line([self.test_id]))

    def _not_the_tests_before(self) -> Bisection:
        happened = "failed" if self.polluted else "passed"
        return replace(self.base, verdict="inconclusive", message=(
            f"{self.test_id} {happened} in the full run, but not after the {_tests(len(self.before))} before it "
            "on their own"), advice=(
            "what changes it is not a test that runs before it: look at module-level code in the test modules "
            "(the full run imports all of them before any test runs), or the test is flaky",))

    def _stopped(self, verdict: Verdict, why: str) -> Bisection:
        """A bisection that ended early: the fewest tests seen to make the test fail (or pass) so far."""
        smallest = self.search.smallest if self.search is not None else None
        if not smallest:
            return replace(self.base, verdict=verdict, message=why, advice=("nothing narrowed down yet",))
        shown = [*smallest, self.test_id] if self.polluted else [self.test_id]
        return replace(self.base, verdict=verdict, message=why, culprits=smallest, advice=(
            f"so far: {self.test_id} {'fails' if self.polluted else 'passes'} after {_tests(len(smallest))}, not "
            "narrowed down yet (the command below runs them)",), reproduce=self.trials.command.line(shown))


def _after(found: Sequence[str], otherwise: str) -> str:
    if len(found) == 1:
        return "after this test"
    if len(found) == 2:
        return f"after these 2 tests together (after either one alone it {otherwise})"
    return f"after all {len(found)} of these tests (without any one of them it {otherwise})"




# ------------------------------------------------------------------------------------------------------
# output
# ------------------------------------------------------------------------------------------------------
def render(result: Bisection) -> list[str]:
    """The closing lines: the verdict, the tests with what the probes saw them change, what to do, the command."""
    cost = f"{_tests(len(result.trials), 'trial')}, {result.duration:.1f} s"
    listed = result.culprits if result.minimal else ()
    lines = [f"bisect: {result.message} ({cost})" + (":" if listed else "")]
    for test_id in listed:
        lines.append(f"    {test_id}")
        lines += [f"        {change.probe}: {change.detail}" for change in result.state_changes.get(test_id, ())]
    lines += [f"bisect: {line}" for line in result.advice]
    if result.reproduce:
        lines.append(f"reproduce with: {result.reproduce}")
    return lines


def to_json(result: Bisection) -> dict[str, Any]:
    """The document --json writes for a bisection, described in docs/bisection.md."""
    from harness import __version__

    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "kind": "bisection",
        "harness_version": __version__,
        "python": python_version(),
        "test": result.test_id,
        "seed": result.seed,
        "bucket": result.bucket,
        "verdict": result.verdict,
        "message": result.message,
        "culprits": list(result.culprits),
        "minimal": result.minimal,
        "state_changes": {
            test_id: [{"probe": c.probe, "detail": c.detail, "restored": c.restored} for c in changes]
            for test_id, changes in result.state_changes.items()
        },
        "others_fail": result.others_fail,
        "reproduce": result.reproduce,
        "trials": [
            {"number": t.number, "kind": t.kind, "tests": list(t.before), "outcome": t.outcome, "message": t.message,
             "duration": round(t.duration, 6)}
            for t in result.trials
        ],
        "duration": round(result.duration, 6),
    }


def _write(result: Bisection, path: str | None) -> int:
    """Write the JSON file when asked; the exit code, 3 when it could not be written."""
    if not path:
        return result.exit_code
    try:
        write_atomically(path, json.dumps(to_json(result), indent=1, ensure_ascii=False) + "\n")
    except OSError as exc:
        print(f"harness: error: could not write the bisection's JSON to {path!r}: {exc}; check that its folder "
              "can be written, or give another path", file=sys.stderr)
        return EXIT_CODES["broken"]
    return result.exit_code
