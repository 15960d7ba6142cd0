"""Where the tests run: in worker processes the runner watches, so that a crash or a hang costs one test, or in
this process where workers cannot be forked.

The runner stays thin: it reads the settings, sets up the reporters and forks one worker per lane (one lane
unless `-j N`) before it imports any event loop, coverage.py or test module. Each worker then imports
harness's machinery of running tests (harness.run.runner), starts coverage if asked, loads, selects and orders the
tests as a run in one process would, and sends the runner its plan (`Plan`: the order, the lanes, and what the
runner needs of each test) before it runs its own lane. The same seed gives every worker the same plan: the
runner prints the header from the first plan it gets and checks the others against it. A usage error, an
empty selection or Ctrl-C found while loading comes to the runner as a message, and ends the run as it would
in one process. Then each worker sends a message when each test starts and when it has a report; the runner
prints and collects the reports, and writes the report files.

When a worker dies (a segfault, `os._exit`, a signal, the out-of-memory killer), the test it was running is
reported as a crash with its exit status and the last output it printed, and a fresh worker, forked again from
the runner (which never imported a test), loads the tests again and runs the rest of the lane, by id. A test
still running past its timeout (plus a grace for async tests, which cancel themselves on their own loop) gets
its threads' stacks dumped by faulthandler, is killed, and reported as timed out.

Why fork before loading: a worker forked from a runner that holds the tests shares the runner's memory until
it writes to it, and it writes to every object it touches (reference counts, the garbage collector's
links), so the kernel copies page after page: more work than importing in the worker. A runner with other
threads running cannot fork safely; it then loads and runs the tests in its own process (see `unavailable`).

The runner's side is harness.run.supervisor (with harness.run.processes and harness.run.crashes), the worker's
harness.run.worker, and what they say to each other harness.run.messages.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
import time
from typing import TYPE_CHECKING

from harness.reports.hooks import Reporter
from harness.reports.records import RunPlan, Summary, TestReport
from harness.run.config import Config
from harness.run.messages import LOADING, LoadFailed
from harness.run.processes import Lane
from harness.run.supervisor import Supervisor
from harness.run.worker import load_prctl

if TYPE_CHECKING:
    from harness.run.cover import Measurement

_now = time.monotonic  # the runner's own clock (tests run in the workers, but keep our references anyway)


def unavailable() -> str | None:
    """Why tests cannot run in forked workers here, or None when they can."""
    if not hasattr(os, "fork"):
        return "this platform has no fork()"
    if threading.active_count() > 1:
        names = ", ".join(sorted(t.name for t in threading.enumerate() if t is not threading.current_thread()))
        return f"threads were already running in the runner ({names}), and forking would copy their locks"
    return None


def debugged(config: Config) -> str | None:
    """Why --pdb keeps the tests in this process: the debugger needs the terminal, which a worker may not be able to
    read (a process group of its own), and its time, which the runner would count against the test's limit."""
    if not config.pdb or config.collect_only:  # --collect-only runs no test: nothing to debug
        return None
    ignored = f" (-j {config.jobs} is ignored)" if config.jobs > 1 and config.worker is None else ""
    return f"--pdb debugs the failures here, with the terminal{ignored}"


def run(config: Config, seed: int, reporter: Reporter, measure: Measurement) -> Summary:
    """Run the tests and report each; once they are planned, the reporters' end-of-run hook runs whatever happens.

    The tests run in worker processes the runner watches, so that a test that crashes or hangs costs that test
    and not the run; where that is not possible, in this process (harness.run.runner). `measure` (in `reporter` too,
    for the end of the run) measures coverage where the tests run, from before they are loaded.
    """
    refusal = debugged(config) or unavailable()
    if refusal is not None and config.pdb and config.jobs > 1:
        config = dataclasses.replace(config, jobs=1)
    try:
        if refusal is None:
            return supervise(config, seed, reporter, measure)
        from harness.run import runner

        return runner.run(config, seed, reporter, measure, refusal)
    except BaseException:
        measure.discard()  # no tests, a usage error, Ctrl-C while loading: nothing to report (after a run: no-op)
        raise


def supervise(config: Config, seed: int, reporter: Reporter, measure: Measurement) -> Summary:
    """Fork the workers, which load and plan the tests themselves; report as results come, and once the run has a
    plan, write the reports whatever happens. Before it has one, what ended it is raised: a UsageError, NoTests,
    LoadFailed, or KeyboardInterrupt for Ctrl-C while loading."""
    started = _now()
    interrupted = False
    load_prctl()
    with tempfile.TemporaryDirectory(prefix="harness-workers-") as folder:
        # --worker K/N: one worker runs lane K; --collect-only: one worker loads the tests and reports what did not load
        count = 1 if config.worker is not None or config.collect_only else config.jobs
        lanes = [Lane(number, _folder(folder, number)) for number in range(1, count + 1)]
        supervisor = Supervisor(config, seed, lanes, reporter, measure)
        try:
            interrupted = supervisor.run()
        except KeyboardInterrupt:
            interrupted = True
        finally:
            supervisor.close()
            if supervisor.plan is not None:
                summary = Summary(
                    reports=tuple(supervisor.reports), seed=seed, bucket=config.bucket,
                    duration=_now() - started, interrupted=interrupted or supervisor.signals.interrupts > 0,
                )
                reporter.finish_run(summary)
    if supervisor.plan is None:
        if isinstance(supervisor.unplanned, LoadFailed):
            return _load_failed(config, seed, reporter, supervisor.unplanned, _now() - started)
        raise supervisor.unplanned or KeyboardInterrupt()
    return summary


def _load_failed(config: Config, seed: int, reporter: Reporter, error: LoadFailed, duration: float) -> Summary:
    """Loading crashed, so there is no plan: the run reports that one error, in the text, the summary line and the
    report files alike, so that a CI system reading any of them sees the run fail."""
    report = TestReport(id=LOADING, outcome="error", duration=0.0, message=str(error),
                        longrepr="\n".join(part for part in (str(error), error.details) if part))
    reporter.start_run(RunPlan(seed=seed, bucket=config.bucket, order=(LOADING,), backend=config.backend))
    reporter.test_finished(report)
    summary = Summary(reports=(report,), seed=seed, bucket=config.bucket, duration=duration, interrupted=False)
    reporter.finish_run(summary)
    return summary


def _folder(parent: str, number: int) -> str:
    """The folder of lane `number`'s capture files and stack dumps."""
    path = os.path.join(parent, str(number))
    os.mkdir(path)
    return path
