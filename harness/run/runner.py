"""Running tests in this process: load and plan them, then run them, each watched, collected and reported.

This runs in the process that runs the tests: a worker (forked by harness.run.supervisor before anything here is
imported), or the runner itself where workers cannot be forked.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import unittest
from collections.abc import Callable

from harness import probes
from harness.probes import watch
from harness.reports.hooks import Reporter, Reporters
from harness.reports.records import RunPlan, Summary
from harness.run import capture, cover, debugging, loader, probing
from harness.run.config import Config, UsageError
from harness.run.interrupts import ctrl_c, stopped_message, terminate_as_interrupt
from harness.run.messages import STOPPING, Assignment, Channel, Collected, Plan, PlannedTest
from harness.run.planning import plan_run
from harness.run.result import Result
from harness.testcase import backends, case, stdlib_async, timeouts

_clock = time.perf_counter  # bound at import: a test that replaces time.perf_counter does not skew durations


def run(config: Config, seed: int, reporter: Reporter, measure: cover.Measurement, refusal: str) -> Summary:
    """Load, order and run the tests in this process, where workers cannot be forked (`refusal` says why), and
    report each; the reporters' end-of-run hook runs whatever happens once the tests are planned."""
    chosen = _prepare(config, measure, warn=True)
    run_plan, tests, lanes = plan_run(config, seed)
    probing.loaded(chosen)
    if len(lanes) > 1:
        raise UsageError(f"-j {config.jobs} needs worker processes, but {refusal}; run without -j")
    if config.collect_only:
        tests = [test for test in tests if loader.failed_to_load(test)]
    if chosen:
        backends.prime()
    print(f"harness: note: running in this process, without crash and hang isolation: {refusal}", file=sys.stderr)
    return _in_process(config, seed, run_plan, _handed_over(tests), reporter, chosen, measure)


def _handed_over(tests: list[unittest.TestCase]) -> list[unittest.TestCase]:
    """A list holding `tests` that only its receiver holds: `tests` is emptied, so that execute, which empties
    what it is given, frees each test once it has run."""
    taken = tests[:]
    tests.clear()
    return taken


def work(config: Config, seed: int, measure: cover.Measurement, assignment: Assignment,
         channel: Channel, folder: str, collected: Collected,
         on_result: Callable[[unittest.TestResult], None], requested: Callable[[], int]) -> None:
    """A worker's run: load and plan the whole run as the runner would, send it the plan, then run this worker's
    tests (its lane, or what a worker that died left of it). Their reports go to `channel` and into `collected`.
    `requested` reads what the runner asks of this worker (messages.STOP, INTERRUPT, TERMINATE; 0: nothing)."""
    chosen = _prepare(config, measure, warn=assignment.announces)
    run_plan, tests, lanes = plan_run(config, seed)
    probing.loaded(chosen)
    plan = Plan(run_plan, tuple(_planned(test, config) for test in tests), lanes)
    channel.send_plan(plan)
    mine = [tests[position] for position in assignment.positions(plan)]
    if config.collect_only:  # one worker: the modules that did not load are reported as in a run, nothing else runs
        mine = [test for test in tests if loader.failed_to_load(test)]
    del tests  # execute frees each test once it has run: nothing else here may hold one
    if chosen:
        backends.prime()
    with measure.measuring() as counting:  # its own data file, saved as its tests go
        execute(config, seed, mine, Reporters([channel, counting]), chosen, folder, collected, on_result,
                lanes=len(plan.lanes), requested=requested)


def _prepare(config: Config, measure: cover.Measurement, warn: bool) -> list[probes.Probe]:
    """What comes before loading: the probes (a bad name stops the run), the backend forced on every class, and
    coverage, so that the lines run as the modules under test are imported count."""
    chosen = probing.choose(config.disable_probes, config.probes)
    case.force_backend(config.backend)
    measure.start(warn)
    return chosen


def _planned(test: unittest.TestCase, config: Config) -> PlannedTest:
    """What the runner, which does not load the tests, needs of `test`."""
    cls = type(test)
    return PlannedTest(
        id=loader.test_id(test), module=cls.__module__, cls=cls.__qualname__,
        is_async=isinstance(test, case.AsyncTestCase | unittest.IsolatedAsyncioTestCase),
        backend=loader.backend_of(test), limit=timeouts.find(test, config.timeout),
    )


def _in_process(config: Config, seed: int, run_plan: RunPlan, tests: list[unittest.TestCase], reporter: Reporter,
                chosen: list[probes.Probe], measure: cover.Measurement) -> Summary:
    started = _clock()
    collected = Collected()
    reporter.start_run(run_plan)
    try:
        # (cleanup errors ignored: with --no-restore a test may leave this process in a directory it deleted)
        with tempfile.TemporaryDirectory(prefix="harness-capture-", ignore_cleanup_errors=True) as folder, \
                measure.measuring() as counting:
            execute(config, seed, tests, Reporters([reporter, counting]), chosen, folder, collected,
                    on_ctrl_c=_say_stopping)
    finally:
        summary = Summary(
            reports=tuple(collected.reports), seed=seed, bucket=config.bucket,
            duration=_clock() - started, interrupted=collected.interrupted,
        )
        reporter.finish_run(summary)
    return summary


def execute(config: Config, seed: int, tests: list[unittest.TestCase], reporter: Reporter,
            chosen: list[probes.Probe], folder: str, collected: Collected,
            on_result: Callable[[unittest.TestResult], None] | None = None,
            on_ctrl_c: Callable[[], None] | None = None, lanes: int | None = None,
            requested: Callable[[], int] | None = None) -> None:
    """Run `tests` in this process, in this order; the reports go to `reporter` and into `collected`.

    Output is captured into files under `folder` (see harness.run.capture). `on_result` sees the result
    object before the first test (a worker uses it to stop the run on request); `on_ctrl_c` is called
    from the signal handler at the first Ctrl-C (a worker tells the runner it has it). `lanes`: how many worker
    processes run the tests, one of them this one (None: the tests run in the process the user started); a worker
    may not have the terminal for the debugger. `requested` (a worker): what the runner asks of it; a worker
    installs no signal handler of its own, so its tests see SIGINT and SIGTERM as a plain unittest run has them.
    """
    streams = capture.Capture(folder) if config.capture else None
    result = Result(config, seed, reporter, watch.Watch(chosen, config.restore), streams)
    result.watch.watch_packages(config.watch, tests)
    debugger = _connect(result, config, collected, lanes, requested)
    if on_result is not None:
        on_result(result)
    case.set_default_teardown_timeout(config.teardown_timeout)
    case.set_default_timeout(config.timeout)
    stdlib = stdlib_async.enforced(lambda: config.teardown_timeout, lambda test: timeouts.find(test, config.timeout))
    suite = unittest.TestSuite(tests)  # which drops each test once it has run (TestSuite._removeTestAtIndex) ...
    tests.clear()  # ... when nothing else holds it: a worker's gc-tracked objects stay flat over a run
    try:
        terminating = terminate_as_interrupt() if requested is None else contextlib.nullcontext()
        with stdlib, terminating, ctrl_c.watching(result, on_ctrl_c, requested), debugger.installed():
            suite.run(result)
        collected.interrupted = ctrl_c.count > 0  # the first Ctrl-C let the running test finish, then stopped
    except KeyboardInterrupt as exc:
        collected.interrupted = True
        result.interrupted(stopped_message(exc))
    finally:
        result.watch.close()
        result.peak.close()
        if streams is not None:
            streams.close()


def _connect(result: Result, config: Config, collected: Collected, lanes: int | None,
             requested: Callable[[], int] | None) -> debugging.Debugger:
    """Where `result`'s reports go (into `collected`), its debugger (--pdb), and in a worker what the runner asks of
    it; the debugger is returned."""
    result.reports = collected.reports
    result.last_only = collected.last_only
    result.debugger = debugging.Debugger(result, config.pdb and not config.collect_only, lanes)
    if requested is not None:
        result.requested = requested
    return result.debugger


def _say_stopping() -> None:
    # From a signal handler: straight to the descriptor, the terminal's even while a test's output is captured.
    os.write(capture.terminal(2), (STOPPING + "\n").encode())
