"""The cache folder: which tests failed last time (for --lf and --ff) and how long each test took."""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from harness.reports.files import write_atomically
from harness.reports.hooks import Reporter
from harness.reports.records import RunPlan, Summary
from harness.run.config import Config

DEFAULT_FOLDER = ".harness_cache"
FILE_NAME = "lastrun.json"
VERSION = 1
# How much a run writes, set by the runs harness starts itself: the trials of --bisect write nothing (they must
# not replace what the user's own run recorded), and the rounds of --until-failure write only the round that fails.
WRITES_VARIABLE = "HARNESS_CACHE_WRITES"
Writes = Literal["all", "none", "on-failure"]

_README = """\
# harness cache

harness writes this folder at the end of each run, so that `--lf` (`--last-failed`) can rerun the tests that
failed and `--ff` (`--failed-first`) can run them first. `lastrun.json` holds the ids of the tests that failed
and how long each test took. `splits/` holds the durations that `-j` runs were balanced by, each file named by its
content, so that `--worker K/N --durations-from .harness_cache/splits/FILE` replays one worker's tests exactly even
after later runs changed `lastrun.json`; the last few are kept.

It is safe to delete: the next run starts without a record, and writes a new one.
"""
_GITIGNORE = "# written by harness: nothing here belongs in version control\n*\n"


@dataclass(frozen=True)
class Record:
    """What the cache holds: the ids that failed when they last ran, and each test's last duration."""

    failed: tuple[str, ...] = ()
    durations: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Loaded:
    """The record read from a folder, and why it could not be read (empty when it could, or there was none)."""

    record: Record
    problem: str = ""


def read(folder: str) -> Loaded:
    """The record in `folder`; a missing file is an empty record, a broken one an empty record and a problem."""
    path = os.path.join(folder, FILE_NAME)
    try:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
    except FileNotFoundError:
        return Loaded(Record())
    except (OSError, ValueError) as exc:
        return Loaded(Record(), f"could not read {path!r} ({exc}); it is ignored and replaced at the end of this run")
    record = _from_json(document)
    if record is None:
        return Loaded(Record(), f"{path!r} is not a harness {VERSION} cache; it is ignored and replaced at the end "
                                "of this run")
    return Loaded(record)


def _from_json(document: object) -> Record | None:
    if not isinstance(document, dict) or document.get("version") != VERSION:
        return None
    failed, durations = document.get("failed", []), document.get("durations", {})
    if not isinstance(failed, list) or not all(isinstance(item, str) for item in failed):
        return None
    if not isinstance(durations, dict) or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in durations.values()):
        return None
    return Record(tuple(failed), {str(key): float(value) for key, value in durations.items()})


def write(folder: str, record: Record) -> None:
    """Write `record` atomically, with the note that says the folder may be deleted; raises OSError."""
    os.makedirs(folder, exist_ok=True)
    for name, text in (("README.md", _README), (".gitignore", _GITIGNORE)):
        if not os.path.exists(os.path.join(folder, name)):
            write_atomically(os.path.join(folder, name), text)
    document = {"version": VERSION, "failed": sorted(record.failed),
                "durations": {key: round(record.durations[key], 6) for key in sorted(record.durations)}}
    # A field a line, each value on one line: json's C encoder writes it (indent= would take its Python one, a few
    # ms for a thousand durations).
    text = "{\n" + ",\n".join(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}"
                               for key, value in document.items()) + "\n}\n"
    # Not synced to disk (a few ms a run): the rename keeps it whole, and a crash of the machine that loses it
    # only loses what --lf and --ff would have read.
    write_atomically(os.path.join(folder, FILE_NAME), text, sync=False)


# -- the durations a -j split is balanced by ---------------------------------------------------------------
SPLITS = "splits"
KEEP_SPLITS = 8  # the newest files of splits/ kept: replays of the last few -j runs


def split_durations(config: Config) -> str | None:
    """A file of the durations the cache recorded, for this `-j` run's workers to balance their split by; None when
    the split is not the cache's to make (no -j, a --durations-from, a --shard or --worker, --cache-clear) or
    nothing is recorded.

    The file is named by its content and not changed by later runs: with the run's seed it fixes the split, so the
    report's `--worker K/N --durations-from FILE` replays a lane exactly. It is written in the shape of a JSON
    report's tests, which is what --durations-from reads. A cache that cannot be read or written: None (by count).
    """
    if (config.jobs <= 1 or config.durations_from is not None or config.shard is not None
            or config.worker is not None or config.cache_clear or config.collect_only or writes() == "none"):
        return None
    durations = read(config.cache_dir).record.durations
    if not durations:
        return None
    import hashlib  # only for -j runs with a record: not on every start-up

    text = json.dumps({"note": "durations harness's cache held when a -j run was split by them",
                       "tests": [{"id": key, "duration": round(durations[key], 6)} for key in sorted(durations)]})
    folder = os.path.join(config.cache_dir, SPLITS)
    path = os.path.join(folder, hashlib.sha256(text.encode()).hexdigest()[:16] + ".json")
    try:
        if not os.path.exists(path):
            os.makedirs(folder, exist_ok=True)
            write_atomically(path, text, sync=False)
            _prune(folder)
        else:
            os.utime(path)  # the newest again: pruned last
    except OSError:
        return None
    return path


def _prune(folder: str) -> None:
    """Keep the newest KEEP_SPLITS files (another run may prune at the same time: a file gone is fine)."""
    entries = []
    for entry in os.scandir(folder):
        try:
            entries.append((entry.stat().st_mtime, entry.path))
        except OSError:
            continue
    for _, path in sorted(entries, reverse=True)[KEEP_SPLITS:]:
        try:
            os.remove(path)
        except OSError:
            pass


# -- matching a recorded id against the tests collected now ----------------------------------------------
def base(test_id: str) -> str:
    """The id without the `#N` of --repeat: a run that failed `t#2` has `t` rerun, repeated or not."""
    return test_id.partition("#")[0]


def matches(recorded: str, test_id: str) -> bool:
    """Whether the recorded failure `recorded` is about the test `test_id`.

    A test's own id; a class or module fixture (`setUpClass (mod.Class)`) is about every test of its class or
    module; a module that failed to import (`mod`) is about every test in it.
    """
    recorded, test_id = base(recorded), base(test_id)
    if recorded.endswith(")") and " (" in recorded:
        recorded = recorded[recorded.index(" (") + 2:-1]
    return test_id == recorded or test_id.startswith(recorded + ".")


def failed_among(record: Record, test_ids: Iterable[str]) -> set[str]:
    """The ids in `test_ids` that a recorded failure is about."""
    return {test_id for test_id in test_ids if any(matches(recorded, test_id) for recorded in record.failed)}


def gone(record: Record, test_ids: Sequence[str]) -> list[str]:
    """The recorded failures about none of `test_ids`."""
    return [recorded for recorded in record.failed if not any(matches(recorded, t) for t in test_ids)]


# -- the selection of --lf and the order of --ff -------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """Which of the ordered tests run, by index, and the lines that say what --lf or --ff did."""

    indices: tuple[int, ...]
    notes: tuple[str, ...] = ()


def choose(ids: Sequence[str], loaded: Loaded, last_failed: bool, whole: bool, folder: str) -> Choice:
    """--lf (`last_failed`) or --ff on the tests `ids`, already in the seed's order, which that order keeps.

    `whole` says the run collected every test of the project (no targets, no -k): a recorded failure about
    none of them is then about a test that no longer exists.
    """
    flag = "--lf" if last_failed else "--ff"
    notes = [f"{flag}: {loaded.problem}"] if loaded.problem else []
    failed = failed_among(loaded.record, ids)
    missing = gone(loaded.record, ids) if whole else []
    if missing:
        notes.append(f"{flag}: {_tests(len(missing))} that failed last time no longer "
                     f"{'exists' if len(missing) == 1 else 'exist'}, dropped from the cache: {', '.join(missing)}")
    everything = tuple(range(len(ids)))
    if not failed:
        notes.append(f"{flag}: no failures recorded in {folder!r}; running all {_tests(len(ids))}")
        return Choice(everything, tuple(notes))
    first = tuple(i for i in everything if ids[i] in failed)
    if last_failed:
        notes.append(f"--lf: running the {_tests(len(first))} that failed last time, of {len(ids)} collected")
        return Choice(first, tuple(notes))
    rest = tuple(i for i in everything if ids[i] not in failed)
    notes.append(f"--ff: the {_tests(len(first))} that failed last time first, then the other {len(rest)}")
    return Choice(first + rest, tuple(notes))


def whole_project(config: Config) -> bool:
    """Whether the run plans every test of the project: no -k, no --worker, no --shard, and the targets (if any)
    hold the testpaths or the working directory; then a recorded failure about none of its tests is about a test
    that is gone."""
    given = {os.path.normpath(target) for target in config.targets}
    covered = not given or os.curdir in given or given >= {os.path.normpath(path) for path in config.testpaths}
    return covered and not config.keywords and config.worker is None and config.shard is None


def _tests(count: int) -> str:
    return f"{count} test{'s' if count != 1 else ''}"


# -- recording a run -----------------------------------------------------------------------------------------
def updated(previous: Record, summary: Summary, planned: Sequence[str], whole: bool, subset: bool) -> Record:
    """The record after a run: its failures and durations, over what `previous` says about tests it did not run.

    A recorded failure stays until a run reports on its test. A run that collected the whole project (`whole`)
    also drops the failures about tests it did not plan, which no longer exist (--lf plans every collected test
    that failed), and, unless it planned only a `subset` (--lf), the durations of tests it did not plan.
    """
    ran = [report.id for report in summary.reports]
    kept = [f for f in previous.failed if not any(matches(f, t) for t in ran)]
    missing = set(gone(Record(tuple(kept)), planned)) if whole else set()
    failed = dict.fromkeys([*(f for f in kept if f not in missing), *(r.id for r in summary.reports if not r.ok)])
    known = set(planned)
    durations = {key: value for key, value in previous.durations.items()
                 if key not in missing and (key in known or not whole or subset)}
    durations.update({r.id: r.duration for r in summary.reports if r.outcome in ("passed", "failed", "error")})
    return Record(tuple(failed), durations)


def writes() -> Writes:
    """How much this run writes, from HARNESS_CACHE_WRITES (set by --bisect and --until-failure)."""
    value = os.environ.get(WRITES_VARIABLE, "all")
    return value if value in ("none", "on-failure") else "all"  # type: ignore[return-value]


class Recorder(Reporter):
    """Writes the cache when a run ends, finished or interrupted: the runner's reports, whatever ran where."""

    def __init__(self, folder: str, clear: bool, whole: bool, subset: bool, mode: Writes) -> None:
        self.folder = os.path.abspath(folder)  # a test that changes the working directory must not move it
        self.shown = folder
        self.clear = clear
        self.whole = whole  # the run collected every test of the project: no targets, no -k
        self.subset = subset  # --lf: only some of the collected tests were planned
        self.mode = mode
        self.planned: tuple[str, ...] = ()

    def start_run(self, plan: RunPlan) -> None:
        self.planned = plan.order

    def finish_run(self, summary: Summary) -> None:
        if self.mode == "none" or (self.mode == "on-failure" and not summary.failed):
            return
        previous = Record() if self.clear else read(self.folder).record  # read now: another run may have written
        record = updated(previous, summary, self.planned, self.whole, self.subset)
        try:
            write(self.folder, record)
        except OSError as exc:
            print(f"harness: note: could not write the cache to {self.shown!r} ({exc}); --lf and --ff will not see "
                  "this run: check that the folder can be written, or set another with --cache-dir",
                  file=sys.__stderr__ or sys.stderr)
