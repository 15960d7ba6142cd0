"""Combining shards: the JSON reports of `--shard K/N` runs, checked and merged into the reports of one run."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from harness.reports.files import FileReporter, JsonReporter, JUnitReporter
from harness.reports.hooks import Reporters
from harness.reports.records import (
    OUTCOMES,
    Findings,
    Outcome,
    PendingCallback,
    ResidualTask,
    RunPlan,
    StateChange,
    Summary,
    TestReport,
)
from harness.reports.terminal import TextReporter
from harness.run.config import UsageError, parse_path

_GIVE = "give the JSON report each shard wrote with --shard K/N --json PATH"


@dataclass(frozen=True)
class Part:
    """One shard's JSON report, read and typed."""

    path: str
    index: int
    count: int
    seed: int
    bucket: str
    python: str
    planned: int
    fingerprint: str
    split: str
    balance: str
    order: tuple[str, ...]
    positions: tuple[int, ...]
    tests: tuple[TestReport, ...]
    duration: float
    interrupted: bool


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harness combine",
        description="Check that the JSON reports of a sharded run (--shard K/N, the same --seed) are every shard "
        "once, and merge them, with the shards' coverage data, into the reports of one run.",
        epilog="Exit codes: 0 every test passed, 1 a test failed, 2 a shard was interrupted, 3 a report could not "
        "be written, 4 bad input (a shard missing or given twice, shards that overlap or come from different "
        "runs, a file that is not a shard's report).",
    )
    parser.add_argument("reports", nargs="+", metavar="REPORT",
                        help="each shard's JSON report; first, OUT: a folder (it need not exist) that receives "
                        "report.json, report.xml and, with --coverage-data, .coverage, when neither --json nor "
                        "--junit-xml is given")
    parser.add_argument("--json", metavar="PATH", type=_path, help="write the combined JSON report here")
    parser.add_argument("--junit-xml", metavar="PATH", type=_path, help="write the combined JUnit XML report here")
    parser.add_argument("--coverage-data", metavar="FILE", action="append", default=[], type=_path,
                        help="a shard's coverage.py data file (repeat for each shard) to combine")
    parser.add_argument("--coverage-out", metavar="PATH", type=_path, default=".coverage",
                        help="where to write the combined coverage data (default: .coverage)")
    return parser


def _path(text: str) -> str:
    try:
        return parse_path(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(argv: Sequence[str], command: str) -> tuple[Summary, Reporters]:
    """Read, check and merge the shards' reports, then write the combined ones and print the summary."""
    args = build_parser().parse_args(list(argv))
    reports = list(args.reports)
    if not (args.json or args.junit_xml) and len(reports) > 1 and not os.path.isfile(reports[0]):
        out = reports.pop(0)  # `harness combine OUT REPORT...`
        args.json, args.junit_xml = os.path.join(out, "report.json"), os.path.join(out, "report.xml")
        if args.coverage_out == ".coverage":
            args.coverage_out = os.path.join(out, ".coverage")
    files = _files(args.json, args.junit_xml)
    parts = [read(path) for path in reports]
    check(parts)
    plan, summary = merge(parts)
    if args.coverage_data:
        combine_coverage(args.coverage_data, args.coverage_out)
    first = parts[0]
    print(f"harness combine: {len(parts)} shards of {first.planned} tests from Python {first.python}, "
          f"bucket {first.bucket}, --seed {first.seed}")
    reporters = Reporters([TextReporter(sys.stdout, 1, None, command), *files])
    for report in files:
        report.start_run(plan)
        if isinstance(report, JsonReporter):
            report.python = first.python
    reporters.finish_run(summary)
    return summary, reporters


def _files(json_path: str | None, junit_path: str | None) -> list[FileReporter]:
    files: list[FileReporter] = []
    if json_path:
        files.append(JsonReporter(json_path))
    if junit_path:
        files.append(JUnitReporter(junit_path))
    for report in files:
        problem = report.problem()
        if problem:
            raise UsageError(problem)
    return files


# -- reading ------------------------------------------------------------------------------------------------
def read(path: str) -> Part:
    """A shard's JSON report, or a UsageError that says what is wrong with the file."""
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except OSError as exc:
        raise UsageError(f"cannot read {path!r}: {exc.strerror or exc}; {_GIVE}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path!r} is not JSON ({exc}); {_GIVE}") from None
    if not isinstance(document, dict) or document.get("schema_version") != 1:
        version = document.get("schema_version") if isinstance(document, dict) else None
        raise UsageError(f"{path!r} is not a harness JSON report of schema_version 1 (found {version!r}); {_GIVE}")
    if document.get("shard") is None:
        raise UsageError(f"{path!r} is the report of a run without --shard; {_GIVE}")
    try:
        return _part(path, document)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path!r} is not a whole shard report ({type(exc).__name__}: {exc}); give the file "
                         "harness wrote, unedited") from None


def _part(path: str, document: dict[str, Any]) -> Part:
    index, count = (int(number) for number in document["shard"])
    plan = document["shard_plan"]
    order, positions = tuple(map(str, document["order"])), tuple(map(int, plan["positions"]))
    if len(order) != len(positions):
        raise ValueError(f"{len(order)} tests in order but {len(positions)} positions")
    return Part(
        path=path, index=index, count=count, seed=int(document["seed"]), bucket=str(document["bucket"]),
        python=str(document["python"]), planned=int(plan["planned"]), fingerprint=str(plan["fingerprint"]),
        split=str(plan["split"]), balance=_balance(plan), order=order, positions=positions,
        tests=tuple(report_from_json(entry) for entry in document["tests"]),
        duration=float(document["duration"]), interrupted=bool(document["interrupted"]),
    )


def _balance(plan: dict[str, Any]) -> str:
    if plan["balance"] == "durations":
        return f"durations in {plan['durations_from']}"
    return "test count"


def report_from_json(entry: dict[str, Any]) -> TestReport:
    """A test's entry of a JSON report (reporters.report_to_json) as the TestReport it was written from."""
    if entry["outcome"] not in OUTCOMES:
        raise ValueError(f"unknown outcome {entry['outcome']!r} of {entry['id']!r}")
    outcome: Outcome = entry["outcome"]
    return TestReport(
        id=str(entry["id"]), outcome=outcome, duration=float(entry["duration"]), backend=entry.get("backend"),
        message=entry.get("message", ""), longrepr=entry.get("longrepr", ""),
        stdout=entry.get("stdout", ""), stderr=entry.get("stderr", ""),
        peak_memory=int(entry.get("peak_memory") or 0),
        findings=Findings(
            residual_tasks=tuple(ResidualTask(
                name=task["name"], coro=task["coro"], created_at=task["created_at"],
                suspended_at=task["suspended_at"], refused_cancel=bool(task.get("refused_cancel", False)),
            ) for task in entry.get("residual_tasks", [])),
            unhandled_errors=tuple(entry.get("unhandled_errors", [])),
            pending_callbacks=tuple(PendingCallback(
                callback=callback["callback"], scheduled_at=callback["scheduled_at"], due_in=callback.get("due_in"),
            ) for callback in entry.get("pending_callbacks", [])),
            state_changes=tuple(StateChange(change["probe"], change["detail"], bool(change["restored"]))
                                for change in entry.get("state_changes", [])),
        ),
    )


# -- checking -----------------------------------------------------------------------------------------------
def check(parts: Sequence[Part]) -> None:
    """Every shard of one run, once, and nothing planned twice; else a UsageError naming the files."""
    for part in parts[1:]:
        same_run(parts[0], part)
    _each_once(parts)
    _disjoint(parts)


def same_run(first: Part, part: Part) -> None:
    """`part` comes from the same sharded run as `first`: same N, seed, bucket, suite, Python and split."""
    a, b = repr(part.path), repr(first.path)
    if part.count != first.count:
        raise UsageError(f"{a} is shard {part.index} of {part.count}, but {b} is shard {first.index} of "
                         f"{first.count}: combine the shards of one run, which all have the same N")
    if part.seed != first.seed or part.bucket != first.bucket:
        raise UsageError(f"{a} ran with --seed {part.seed} --bucket {part.bucket}, but {b} with --seed {first.seed} "
                         f"--bucket {first.bucket}: the shards of one run need the same seed and bucket, or their "
                         "orders differ and the shards overlap")
    if part.fingerprint != first.fingerprint or part.planned != first.planned:
        raise UsageError(f"{a} planned another suite than {b} ({part.planned} tests against {first.planned}, or "
                         "other test ids): run every shard on the same commit with the same targets, -k and --repeat")
    if part.python != first.python:
        raise UsageError(f"{a} ran on Python {part.python}, but {b} on Python {first.python}: combine one Python "
                         "version's shards at a time")
    if part.split != first.split:
        raise UsageError(f"{a} split the order differently from {b} (balanced by {part.balance}, against "
                         f"{first.balance}): give every shard the same --durations-from file, or none")


def _each_once(parts: Sequence[Part]) -> None:
    seen: dict[int, Part] = {}
    for part in parts:
        if part.index in seen:
            raise UsageError(f"{seen[part.index].path!r} and {part.path!r} are both shard {part.index} of "
                             f"{part.count}: give each shard's report once")
        seen[part.index] = part
    count = parts[0].count
    missing = [str(number) for number in range(1, count + 1) if number not in seen]
    if missing:
        given = ", ".join(str(number) for number in sorted(seen))
        plural = len(missing) > 1
        raise UsageError(f"shard{'s' if plural else ''} {', '.join(missing)} of {count} "
                         f"{'are' if plural else 'is'} missing (given: {given}): add "
                         f"{'their reports' if plural else 'its report'}")


def _disjoint(parts: Sequence[Part]) -> None:
    owner: dict[int, Part] = {}
    for part in parts:
        for test_id, position in zip(part.order, part.positions, strict=True):
            if position in owner:
                raise UsageError(f"{test_id!r} is in both {owner[position].path!r} and {part.path!r}: the shards "
                                 "overlap; combine the reports of one sharded run, unedited")
            owner[position] = part
    planned = parts[0].planned
    if sorted(owner) != list(range(planned)):
        raise UsageError(f"the shards plan {len(owner)} of the run's {planned} tests: a report lists less than its "
                         "whole shard (a --worker replay?); give each shard's report of its whole run")


# -- merging ------------------------------------------------------------------------------------------------
def merge(parts: Sequence[Part]) -> tuple[RunPlan, Summary]:
    """The whole order and every result, as a serial run with the same seed would report them."""
    placed = {position: test_id for part in parts for test_id, position in zip(part.order, part.positions,
                                                                                strict=True)}
    first = parts[0]
    plan = RunPlan(seed=first.seed, bucket=first.bucket, order=tuple(placed[p] for p in sorted(placed)))
    summary = Summary(
        reports=_in_order(parts), seed=first.seed, bucket=first.bucket,
        duration=sum(part.duration for part in parts), interrupted=any(part.interrupted for part in parts),
    )
    return plan, summary


def _in_order(parts: Sequence[Part]) -> tuple[TestReport, ...]:
    """Every shard's results in the whole order.

    A fixture's entry (`setUpClass (...)`) goes just before the next test its shard was to run, as unittest
    reports it when that test is about to start, or after the shard's last test.
    """
    keyed: list[tuple[float, int, TestReport]] = []
    for part in parts:
        where = {test_id: number for number, test_id in enumerate(part.order)}
        upcoming = 0  # the shard's next planned test, by its number in the shard's order
        for report in part.tests:
            if report.id in where:
                upcoming = where[report.id] + 1
                key = float(part.positions[upcoming - 1])
            elif upcoming < len(part.positions):
                key = part.positions[upcoming] - 0.5
            else:
                key = part.positions[-1] + 0.5 if part.positions else -1.0
            keyed.append((key, len(keyed), report))
    return tuple(report for _, _, report in sorted(keyed, key=lambda item: (item[0], item[1])))


# -- coverage -----------------------------------------------------------------------------------------------
def combine_coverage(inputs: Sequence[str], out: str) -> None:
    """Merge the shards' coverage.py data files into `out` (the inputs are kept), with the project's coverage
    settings, so that a [paths] section maps the machines' checkout folders onto one."""
    missing = [path for path in inputs if not os.path.isfile(path)]
    if missing:
        raise UsageError(f"no coverage data file at {missing[0]!r}; give the data file each shard's coverage run "
                         "wrote (.coverage unless it was told otherwise)")
    if os.path.abspath(out) in {os.path.abspath(path) for path in inputs}:
        raise UsageError(f"--coverage-out {out!r} is also an input; write the combined data to another path")
    import coverage
    from coverage.exceptions import CoverageException

    combined = coverage.Coverage(data_file=out)
    try:
        combined.erase()
        combined.combine(data_paths=[os.path.abspath(path) for path in inputs], strict=True, keep=True)
        combined.save()
    except CoverageException as exc:
        raise UsageError(f"cannot combine the coverage data: {exc}; give data files written by coverage.py") from None
