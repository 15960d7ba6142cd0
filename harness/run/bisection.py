"""Polluter bisection: the fewest earlier tests that make a test fail (or pass), found by trial runs
(`bisect_search`, `bisect_trials`), and its text and JSON output."""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from harness.reports.files import JsonReporter, write_atomically
from harness.reports.hooks import python_version
from harness.reports.records import StateChange
from harness.run import interrupts, loader, planning
from harness.run.bisect_search import Search, estimate
from harness.run.bisect_trials import (
    Command,
    Trial,
    TrialError,
    Trials,
    Verdict,
    load_json,
    state_changes_before,
    tests_text,
    trial_timeout,
)
from harness.run.config import Config, UsageError

# The exit code of --bisect by verdict, in cli's numbering: 0 when it named the tests to look at.
EXIT_CODES: dict[Verdict, int] = {
    "polluted": 0, "depends": 0,
    "fails_alone": 1, "not_reproduced": 1, "inconclusive": 1,
    "interrupted": 2,
    "broken": 3,  # a trial's harness exited 3, 4 or 5, or the JSON could not be written
}
JSON_SCHEMA_VERSION = 1


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
    before, named = _tests_before(config, test_id)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="harness-bisect-") as folder, interrupts.terminate_as_interrupt():
        trials = Trials(_command(config, program, named), test_id, folder, out, quiet=config.verbosity == 0)
        trials.junit = config.junit_xml is not None
        trials.html = config.html is not None
        result = _Bisector(config, test_id, before, trials).run()
    result = replace(result, trials=tuple(trials.done), duration=time.perf_counter() - started)
    out.write("\n" + "\n".join(render(result)) + "\n")
    out.flush()
    return _write(result, config.json)


def _tests_before(config: Config, test_id: str) -> tuple[list[str], bool]:
    """The tests that run before `test_id` in the seed's order, and whether each of those and `test_id` is loaded by
    its id as a target; a usage error when it was not collected."""
    assert config.seed is not None
    plan, tests = planning.plan(config, config.seed)
    if test_id not in plan.order:
        raise UsageError(_not_collected(config, test_id, plan.order))
    runnable = {loader.test_id(test) for test in tests if loader.placement(test).cls}  # not modules that failed
    if test_id not in runnable:
        raise UsageError(f"--bisect {test_id!r} is a module that failed to import, not a test other tests can "
                         "break; fix the import error first")
    before = [other for other in plan.order[: plan.order.index(test_id)] if other in runnable]
    involved = {*before, test_id}
    named = all(loader.named_by_id(test) for test in tests if loader.test_id(test) in involved)
    return before, named


def _not_collected(config: Config, test_id: str, collected: Sequence[str]) -> str:
    where = " ".join(config.targets or config.testpaths) + (" with -k" if config.keywords else "")
    return (f"--bisect {test_id!r} is not one of the {tests_text(len(collected))} collected from {where}; "
            + loader.closest(test_id, collected))


def _command(config: Config, program: str, named: bool) -> Command:
    """The trials' command: the seed and bucket, and the settings that can change a test's outcome. When some test
    is not `named` by its id as a target, trials load the user's targets (with their pattern) and keep tests by id."""
    assert config.seed is not None
    options: list[str] = ["--strict"] if config.strict else []
    if not named and config.pattern != Config.pattern:
        options.append(f"--pattern={config.pattern}")
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
    return Command(program, config.seed, config.bucket, tuple(options), _import_roots(config.targets),
                   select_from=None if named else config.targets)


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
        self.trials.say(f"bisect: {name} with --seed {seed} --bucket {bucket}: {tests_text(len(self.before))} run "
                        "before it; each trial is a fresh process with --no-restore\n", always=True)
        if self.trials.command.select_from is not None:
            where = " ".join(self.trials.command.select_from) or "the testpaths"
            self.trials.say(f"bisect: some of these tests cannot be loaded by their id (doctests, classes made under "
                            f"another name), so each trial loads {where} and keeps its tests with --id\n", always=True)
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
            "fail"), reproduce=self.trials.line([self.test_id]), advice=(
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
        report = load_json(os.path.join(self.trials.folder, "trial-1.json")) or {"tests": []}
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
            advice.append(f"the other {tests_text(len(others))} before it make it fail too: fix the above, then run "
                          "--bisect again to find the next")
        only = "only " if len(found) > 1 else ""
        return replace(found_it, verdict="polluted", message=f"{self.test_id} fails {only}{_after(found, 'passes')}",
                       others_fail=others_fail, advice=tuple(advice),
                       reproduce=self.trials.line([*found, self.test_id]))

    def _depends(self, found_it: Bisection) -> Bisection:
        found = found_it.culprits
        return replace(found_it, verdict="depends", message=(
            f"{self.test_id} fails on its own and passes only {_after(found, 'fails')}: it depends on "
            f"{'that test' if len(found) == 1 else 'them'}"), advice=(
            f"make it set up what it needs itself (in setUp or setUpClass); it passes with: "
            f"{self.trials.line([*found, self.test_id])}",), reproduce=self.trials.line([self.test_id]))

    def _not_the_tests_before(self) -> Bisection:
        happened = "failed" if self.polluted else "passed"
        return replace(self.base, verdict="inconclusive", message=(
            f"{self.test_id} {happened} in the full run, but not after the {tests_text(len(self.before))} before it "
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
            f"so far: {self.test_id} {'fails' if self.polluted else 'passes'} after {tests_text(len(smallest))}, not "
            "narrowed down yet (the command below runs them)",), reproduce=self.trials.line(shown))


def _after(found: Sequence[str], otherwise: str) -> str:
    if len(found) == 1:
        return "after this test"
    if len(found) == 2:
        return f"after these 2 tests together (after either one alone it {otherwise})"
    return f"after all {len(found)} of these tests (without any one of them it {otherwise})"


def render(result: Bisection) -> list[str]:
    """The closing lines: the verdict, the tests with what the probes saw them change, what to do, the command."""
    cost = f"{tests_text(len(result.trials), 'trial')}, {result.duration:.1f} s"
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
