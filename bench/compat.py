#!/usr/bin/env python3
"""The compat corpus: real unittest suites run under `python -m unittest` and under harness, compared per test id.

Each suite is installed at a pinned version into a fresh venv under bench/.compat/ (with this checkout of
harness, editable), run once under plain unittest and under harness for each seed and -j, and the outcome of
every test id is compared. Results accumulate in bench/.compat/results.json; the Markdown table is written from
all of them, so cells run by separate invocations end up in one table. See bench/README.md and docs/compat.md.
usage: python bench/compat.py [--python 3.11] [--suite NAME] [--seeds 1,2,3] [--jobs 1,2] [--timeout S]
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".compat"
PYTHONS = {"3.11": "/root/.pyenv/versions/3.11.*", "3.12": "/root/.pyenv/versions/3.12.*",
           "3.13": "/root/.pyenv/versions/3.13.*"}
EXIT_SAME, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2


class CompatError(Exception):
    """A bad argument, or a suite that could not be set up: one line, exit 2."""


# Worst last, as harness ranks a test's several results (docs/reports.md).
RANK = ("passed", "xfailed", "skipped", "xpassed", "failed", "error")


# -- the corpus ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suite:
    """One suite of the corpus: what to install, where to run, and the two commands' arguments.

    Arguments may hold `{site}` (the venv's site-packages), `{src}` (the unpacked sdist) and, as a whole argument,
    `{modules:REL}` (the test*.py modules under {site}/REL, by dotted name); `unittest` is
    what follows `python -m unittest -v`, `harness` what follows `python -m harness`.
    """

    name: str
    version: str
    requirements: tuple[str, ...]
    unittest: tuple[str, ...]
    harness: tuple[str, ...]
    sdist: str = ""  # "name==version": the tests come from this sdist, run with the unpacked folder as cwd
    is_async: bool = False
    venv: str = ""  # suites with the same venv name share one venv (the stdlib ones)
    note: str = ""


def _stdlib(module: str, is_async: bool) -> Suite:
    return Suite(module, "stdlib", (), (module,), (module,), is_async=is_async, venv="stdlib",
                 note="ships with CPython")


SUITES: tuple[Suite, ...] = (
    _stdlib("test.test_asyncio", True),
    _stdlib("test.test_unittest", True),
    _stdlib("test.test_contextlib_async", True),
    Suite("simplejson", "4.3.0", ("simplejson==4.3.0",),
          ("discover", "-s", "{site}/simplejson/tests", "-t", "{site}"), ("{site}/simplejson/tests",),
          note="wheel, tests inside the package; C speedups toggled by a module global"),
    Suite("zope.interface", "8.7", ("zope.interface[test]==8.7",),
          ("discover", "-s", "{site}/zope/interface", "-t", "{site}"), ("{modules:zope/interface}",),
          note="wheel, tests inside the package; harness is given each test module by its dotted name, since a "
               "directory target would take the namespace folder zope/ (no __init__.py) as its top level"),
    Suite("aioitertools", "0.13.0", ("aioitertools==0.13.0",), ("aioitertools.tests",), ("aioitertools.tests",),
          is_async=True, note="wheel, tests inside the package; plain TestCase, each async test on a new loop "
                             "of its own (an async_test decorator)"),
    Suite("slixmpp", "1.8.6", ("slixmpp==1.8.6", "aiohttp", "cryptography"),
          ("discover", "-s", "tests", "-t", "."), ("tests",), sdist="slixmpp==1.8.6", is_async=True,
          note="sdist's tests/ (1.17 ships none); one loop per process via slixmpp.test.SlixTest"),
    Suite("markdown", "3.11.3", ("markdown==3.11.3", "pyyaml"), ("discover", "-s", "tests", "-t", "."),
          ("tests",), sdist="markdown==3.11.3", note="sdist's tests/"),
)


# -- parsing plain unittest's -v output ---------------------------------------------------------------------
# `test_x (pkg.mod.Class.test_x) ... ok`; 3.10 and doctests print `name (pkg.mod.Class)`; subtests add
# ` (i=1)` or ` [msg]`, and print indented; a module that failed to import is `pkg.test_x (unittest.loader...)`;
# a docstring's first line comes on a line of its own before ` ... `.
_START = re.compile(r"^\s*(?P<name>\w[\w.]*) \((?P<where>[\w.<>]+)\)(?P<sub>(?: \[.*?\])?(?: \(.*?\))?)(?P<rest>.*)$")
_STATUS = {"unexpected success": "xpassed", "expected failure": "xfailed", "ok": "passed", "FAIL": "failed",
           "ERROR": "error"}
_SUMMARY = re.compile(r"^(FAIL|ERROR|UNEXPECTED SUCCESS): (?P<what>.+)$")
_FIXTURES = {"setUpClass", "tearDownClass", "setUpModule", "tearDownModule"}
# unittest's stand-ins for a module that failed to import / raised SkipTest at import: harness names the module.
_STAND_INS = ("unittest.loader._FailedTest.", "unittest.loader.ModuleSkipped.")


def test_id(name: str, where: str) -> str:
    """The harness-style id of what unittest printed as `name (where)`."""
    if name in _FIXTURES:
        return f"{name} ({where})"
    full = where if where.endswith("." + name) else f"{where}.{name}"
    for prefix in _STAND_INS:
        if full.startswith(prefix):
            return full[len(prefix):]
    return full


def status_of(text: str) -> str | None:
    """The outcome a status word at the end of `text` means, if any (output the test wrote may come before)."""
    text = text.strip()
    if re.search(r"skipped(?: (['\"]).*\1)?$", text):
        return "skipped"
    for word, outcome in _STATUS.items():
        if text.endswith(word):
            return outcome
    return None


def worse(a: str | None, b: str) -> str:
    return b if a is None or RANK.index(b) > RANK.index(a) else a


def parse_unittest(output: str) -> dict[str, str]:
    """Outcome per test id from `python -m unittest -v` output (stderr and stdout merged)."""
    outcomes: dict[str, str] = {}
    pending: str | None = None
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line == "=" * 70 and index + 1 < len(lines) and _SUMMARY.match(lines[index + 1]):
            _read_summary(outcomes, lines[index:])
            break
        start = _START.match(line)
        if start and (" ... " in start["rest"] or not start["rest"]):
            pending = test_id(start["name"], start["where"])
            rest = start["rest"].split(" ... ", 1)[1] if " ... " in start["rest"] else ""
        elif pending is None:
            continue
        else:
            rest = line.split(" ... ", 1)[1] if " ... " in line else line
        outcome = status_of(rest)
        if outcome and pending:
            outcomes[pending] = worse(outcomes.get(pending), outcome)
            pending = None
    return outcomes


def _read_summary(outcomes: dict[str, str], lines: list[str]) -> None:
    """The closing `FAIL: name (where)` blocks, each after a line of `=`: authoritative for what they name."""
    for before, line in zip(lines, lines[1:], strict=False):
        summary = _SUMMARY.match(line) if before == "=" * 70 else None
        if summary:
            _record_summary(outcomes, summary["what"], summary[1])


def _record_summary(outcomes: dict[str, str], what: str, word: str) -> None:
    """A `FAIL: name (where)` block of the closing summary: authoritative for failures and errors."""
    start = _START.match(what)
    if start:
        key = test_id(start["name"], start["where"])
        outcome = {"FAIL": "failed", "ERROR": "error", "UNEXPECTED SUCCESS": "xpassed"}[word]
        outcomes[key] = worse(outcomes.get(key), outcome)


def unittest_summary(output: str) -> str:
    """`Ran 12 tests` and the verdict line (`OK (skipped=1)`, `FAILED (errors=2)`), or what is known."""
    ran = re.findall(r"^Ran (\d+) tests? in ", output, re.MULTILINE)
    verdict = re.findall(r"^(OK.*|FAILED.*|NO TESTS RAN.*)$", output, re.MULTILINE)
    return f"Ran {ran[-1] if ran else '?'}: {verdict[-1] if verdict else 'no verdict'}"


# -- reading harness's JSON report ----------------------------------------------------------------------------
@dataclass(frozen=True)
class HarnessResult:
    outcomes: dict[str, str]
    messages: dict[str, str]
    findings: list[tuple[str, str, str]]  # (kind, message, test id)
    summary: str
    sequences: list[list[str]]  # the order each worker ran its tests in (one sequence for a serial run)


def parse_harness(report: dict) -> HarnessResult:
    """Outcomes per id (a planned test with no entry is "not run"), messages and every finding."""
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    findings: list[tuple[str, str, str]] = []
    for entry in report["tests"]:
        test = entry["id"]
        outcomes[test] = worse(outcomes.get(test), entry["outcome"])
        if entry.get("message"):
            messages[test] = entry["message"]
        findings.extend(_findings(entry))
    for test in report["order"]:
        outcomes.setdefault(test, "not run")
    counts = report["counts"]
    summary = f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    if report.get("interrupted"):
        summary += ", interrupted"
    sequences = report.get("workers") or [report["order"]]
    return HarnessResult(outcomes, messages, findings, summary, sequences)


def _findings(entry: dict) -> Iterable[tuple[str, str, str]]:
    test = entry["id"]
    for change in entry.get("state_changes", ()):
        yield change["probe"], change["detail"], test
    for task in entry.get("residual_tasks", ()):
        yield "residual task", f"{task['coro']} created at {task['created_at']}", test
    for error in entry.get("unhandled_errors", ()):
        yield "unhandled error", error, test


def group_findings(findings: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, int, str]]:
    """(kind, message, count, first test id), most frequent first.

    Numbers in messages (descriptors, inodes, line numbers, task numbers) are shown as N, so that one kind of
    finding is one row.
    """
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], str] = {}
    for kind, message, test in findings:
        message = re.sub(r"\d+", "N", message)
        counts[kind, message] += 1
        first.setdefault((kind, message), test)
    return [(kind, message, n, first[kind, message]) for (kind, message), n in counts.most_common()]


# -- comparing ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Difference:
    test: str
    unittest: str  # an outcome, or "absent"
    harness: str  # an outcome, "not run" or "absent"
    message: str = ""
    triage: str = ""  # filled by replaying harness's order under plain unittest


def compare(plain: dict[str, str], harness: dict[str, str], messages: dict[str, str] | None = None,
            ) -> list[Difference]:
    """Every test id whose outcome differs, including ids only one side has, sorted by id.

    A test harness planned but did not run, and unittest never printed, is the same: both leave out the tests
    of a class or module whose fixture failed (the fixture's own error is compared).
    """
    messages = messages or {}
    return [Difference(test, plain.get(test, "absent"), harness.get(test, "absent"), messages.get(test, ""))
            for test in sorted(plain.keys() | harness.keys())
            if plain.get(test, "not run") != harness.get(test, "absent")]


def replay_sequences(differences: Sequence[Difference], sequences: Sequence[Sequence[str]]) -> list[list[str]]:
    """For each worker sequence holding a differing test: its prefix up to the last such test.

    Run under plain unittest in that order, they tell the suite's own order dependence from harness's doing.
    """
    differing = {d.test for d in differences}
    prefixes = []
    for sequence in sequences:
        last = max((i for i, test in enumerate(sequence) if test in differing), default=None)
        if last is not None:
            prefixes.append(list(sequence[:last + 1]))
    return prefixes


def triage(difference: Difference, in_order: dict[str, str], messages: dict[str, str] | None = None) -> str:
    """What plain unittest, in harness's order, says about one difference (`messages`: its exception lines)."""
    again = in_order.get(difference.test)
    if again is None:
        return "not replayed"
    if again != difference.harness:
        return f"harness: plain unittest in harness's order gives {again}"
    message = (messages or {}).get(difference.test, "")
    if message[:60] != difference.message[:60]:
        return (f"unclear: plain unittest in harness's order gives {again} too, but with another message: "
                f"{message[:160]}")
    return f"the suite's own order dependence: plain unittest in harness's order gives {again} too"


def unittest_messages(output: str) -> dict[str, str]:
    """The exception line of each failure and error in unittest's closing summary, by test id."""
    messages: dict[str, str] = {}
    blocks = re.split(r"^={70}$", output, flags=re.MULTILINE)[1:]
    for block in blocks:
        lines = block.strip("\n").splitlines()
        start = _START.match(_SUMMARY.match(lines[0])["what"]) if lines and _SUMMARY.match(lines[0]) else None
        if start:
            body = lines[2:]
            ends = [i for i, line in enumerate(body) if line == "-" * 70 or re.match(r"Ran \d+ tests? in ", line)]
            body = body[:ends[0]] if ends else body  # the last block ends before `Ran N tests`
            messages[test_id(start["name"], start["where"])] = _exception_line(body)
    return messages


def _exception_line(lines: list[str]) -> str:
    """The first line at column 0 after the last `Traceback` line: the exception that ended the test."""
    tracebacks = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    after = lines[tracebacks[-1] + 1:] if tracebacks else lines
    return next((line for line in after if line and not line[0].isspace()), "")


# -- running a command with a time limit ----------------------------------------------------------------------
@dataclass(frozen=True)
class Finished:
    code: int | None  # None: it was killed at the time limit
    output: str
    elapsed: float

    @property
    def hung(self) -> bool:
        return self.code is None


def run(argv: Sequence[str], cwd: str | Path, env: dict[str, str], timeout: float) -> Finished:
    """Run in a session of its own, output to a file; at the limit, or after the end, kill the whole group.

    SIGINT and SIGHUP start at their defaults, as in a terminal, whatever this script inherited (nohup, a background
    job ignore them): with SIGINT ignored, CPython's test_runners interrupts itself in vain and spins forever unless
    an earlier test happened to install Python's handler, so both runners' outcomes would depend on how this
    script was started.
    """
    with tempfile.TemporaryFile("w+b") as out:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_terminal_signals)
        try:
            code: int | None = process.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.perf_counter() - started
        _kill_group(process)
        out.seek(0)
        return Finished(code, out.read().decode("utf-8", "replace"), elapsed)


def _terminal_signals() -> None:
    """In the child, before it runs the command: SIGINT and SIGHUP as a terminal's shell gives them."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """The suite's leftover children go with it (the group is the one this script started)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONSTARTUP")}
    env.update(extra or {})
    return env


# -- one cell of the table ------------------------------------------------------------------------------------
@dataclass
class Cell:
    """One run of one runner: unittest (seed 0, jobs 0) or harness with a seed and -j."""

    suite: str
    python: str
    runner: str  # "unittest" or "harness"
    seed: int
    jobs: int
    status: str  # "ran", "hang", "no report"
    elapsed: float
    tests: int
    summary: str
    outcomes: dict[str, str] = field(default_factory=dict)
    differences: list[dict] = field(default_factory=list)
    findings: list[list] = field(default_factory=list)
    commit: str = ""
    date: str = ""
    command: str = ""
    exit_code: int | None = None

    @property
    def key(self) -> str:
        return f"{self.python}|{self.suite}|{self.runner}|{self.seed}|{self.jobs}"


def run_unittest(python: str, args: Sequence[str], cwd: str | Path, env: dict[str, str], timeout: float,
                 ) -> tuple[Finished, dict[str, str]]:
    finished = run([python, "-m", "unittest", *unittest_args(args)], cwd, env, timeout)
    return finished, parse_unittest(finished.output)


def unittest_args(args: Sequence[str]) -> list[str]:
    """`-v` goes after `discover`: unittest reads `discover` only as its first argument."""
    if args and args[0] == "discover":
        return ["discover", "-v", *args[1:]]
    return ["-v", *args]


def run_harness(python: str, args: Sequence[str], cwd: str | Path, env: dict[str, str], timeout: float,
                seed: int, jobs: int, keep: Path | None = None) -> tuple[Finished, HarnessResult | None]:
    """`keep`: where to copy the JSON report, for triage."""
    with tempfile.TemporaryDirectory(prefix="compat-") as folder:
        report = os.path.join(folder, "report.json")
        argv = [python, "-m", "harness", *args, "-q", "--seed", str(seed), "-j", str(jobs), "--json", report,
                "--cache-dir", os.path.join(folder, "cache")]
        finished = run(argv, cwd, env, timeout)
        if not os.path.exists(report):
            return finished, None
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report, keep)
        with open(report, encoding="utf-8") as file:
            return finished, parse_harness(json.load(file))


def unittest_cell(suite: str, python: str, finished: Finished, outcomes: dict[str, str], command: str) -> Cell:
    status = "hang" if finished.hung else "ran"
    return Cell(suite, python, "unittest", 0, 0, status, finished.elapsed, len(outcomes),
                unittest_summary(finished.output), outcomes, command=command, exit_code=finished.code)


def harness_cell(suite: str, python: str, seed: int, jobs: int, finished: Finished, result: HarnessResult | None,
                 plain: dict[str, str], command: str,
                 in_order: tuple[dict[str, str], dict[str, str]] | None = None) -> Cell:
    """`in_order`: outcomes and messages of plain unittest replaying harness's order, to triage differences."""
    status = "hang" if finished.hung else "ran" if result else "no report"
    cell = Cell(suite, python, "harness", seed, jobs, status, finished.elapsed, 0,
                result.summary if result else _tail(finished.output), command=command, exit_code=finished.code)
    if result:
        cell.tests = len(result.outcomes)
        cell.outcomes = result.outcomes
        differences = compare(plain, result.outcomes, result.messages)
        if in_order is not None:
            differences = [replace(d, triage=triage(d, *in_order)) for d in differences]
        cell.differences = [asdict(d) for d in differences]
        cell.findings = [list(f) for f in group_findings(result.findings)]
    return cell


# Plain unittest running a prefix of harness's order after importing every test module of harness's run, as a
# harness worker does before its first test: a module's import-time side effects (zope.interface's test modules
# declare interfaces on modules as they are imported) are part of the state the prefix runs in. Output as `-v`.
_REPLAY = """\
import sys, unittest
every, prefix = (open(path, encoding="utf-8").read().split() for path in sys.argv[1:3])
loader = unittest.TestLoader()
for name in sorted({test.rpartition(".")[0] for test in every}):
    try:
        loader.loadTestsFromName(name)
    except Exception:
        pass
result = unittest.TextTestRunner(verbosity=2).run(loader.loadTestsFromNames(prefix))
sys.exit(not result.wasSuccessful())
"""


def replay(python: str, result: HarnessResult, plain: dict[str, str], cwd: str | Path, env: dict[str, str],
           timeout: float) -> tuple[dict[str, str], dict[str, str]] | None:
    """Plain unittest's outcomes and messages for the worker sequences that hold a difference, in harness's order,
    with every test module of the run imported first (see _REPLAY)."""
    prefixes = replay_sequences(compare(plain, result.outcomes), result.sequences)
    if not prefixes:
        return None
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    every = [test for test in result.outcomes if " (" not in test]
    with tempfile.TemporaryDirectory(prefix="compat-replay-") as folder:
        every_file, prefix_file = os.path.join(folder, "every"), os.path.join(folder, "prefix")
        Path(every_file).write_text("\n".join(every), encoding="utf-8")
        for prefix in prefixes:
            names = [test for test in prefix if " (" not in test]
            print(f"   replaying {len(names)} tests under plain unittest in harness's order", flush=True)
            Path(prefix_file).write_text("\n".join(names), encoding="utf-8")
            finished = run([python, "-c", _REPLAY, every_file, prefix_file], cwd, env, timeout)
            outcomes.update(parse_unittest(finished.output))
            messages.update(unittest_messages(finished.output))
    return outcomes, messages


def _tail(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "(no output)"


# -- venvs, sdists and placeholders ---------------------------------------------------------------------------
def find_python(version: str) -> str:
    if os.sep in version:
        return version
    pattern = os.path.join(PYTHONS.get(version, f"/root/.pyenv/versions/{version}*"), "bin", "python3")
    found = sorted(glob.glob(pattern))
    if not found:
        raise CompatError(f"no Python {version!r} found (looked for {pattern}); give one of {', '.join(PYTHONS)} "
                          "or a path to a python executable")
    return found[-1]


def check(argv: Sequence[str], cwd: Path | None = None) -> None:
    done = subprocess.run(list(argv), cwd=cwd, env=clean_env(), capture_output=True, text=True)
    if done.returncode:
        raise CompatError(f"{shlex.join(argv)} failed with exit {done.returncode}: "
                         f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")


def venv_for(python: str, version: str, suite: Suite) -> Path:
    """A venv with harness (this checkout, editable) and the suite's requirements; made once per spec."""
    folder = CACHE / "venvs" / f"{version}-{suite.venv or suite.name}"
    spec = json.dumps([python, str(REPO), list(suite.requirements)])
    marker = folder / "compat-spec.json"
    if marker.exists() and marker.read_text() == spec:
        return folder
    print(f"compat: making {folder} ({', '.join(suite.requirements) or 'harness only'})", flush=True)
    check([python, "-m", "venv", "--clear", str(folder)])
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
    check([*pip, "-e", str(REPO), *suite.requirements])
    marker.write_text(spec)
    return folder


def sdist_for(venv: Path, spec: str) -> Path:
    """The sdist's unpacked folder (its tests/ and the rest), downloaded once by pip."""
    name = re.sub(r"[^\w.]+", "-", spec)
    target = CACHE / "src" / name
    if (target / ".compat-unpacked").exists():
        return _only_child(target)
    downloads = CACHE / "sdists"
    check([str(venv / "bin" / "python"), "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
           spec, "-d", str(downloads)])
    project, _, version = spec.partition("==")
    archives = [p for p in downloads.glob("*.tar.gz")
                if re.fullmatch(rf"{re.escape(project)}-{re.escape(version)}\.tar\.gz", p.name, re.IGNORECASE)]
    if not archives:
        raise CompatError(f"pip downloaded no sdist for {spec!r} into {downloads}")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archives[0]) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, filter="data")
        else:  # Python before 3.11.4 has no extraction filters: refuse a member that would land outside `target`
            _refuse_escapes(archive, target)
            archive.extractall(target)  # noqa: S202 (checked just above)
    (target / ".compat-unpacked").touch()
    return _only_child(target)


def _refuse_escapes(archive: tarfile.TarFile, target: Path) -> None:
    root = target.resolve()
    for member in archive.getmembers():
        where = (root / member.name).resolve()
        if member.issym() or member.islnk() or member.isdev() or not where.is_relative_to(root):
            raise CompatError(f"{archive.name}: member {member.name!r} would not be a plain file inside {root}")


def _only_child(folder: Path) -> Path:
    return next(p for p in folder.iterdir() if p.is_dir())


def site_packages(venv: Path) -> str:
    done = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True, env=clean_env())
    return done.stdout.strip()


def fill(args: Sequence[str], **places: str) -> list[str]:
    """Placeholders filled in; `{modules:REL}` becomes the dotted names of the test*.py files under {site}/REL."""
    filled: list[str] = []
    for arg in args:
        found = re.fullmatch(r"\{modules:(.+)\}", arg)
        filled.extend(test_modules(places["site"], found[1]) if found else [arg.format(**places)])
    return filled


def test_modules(site: str, relative: str) -> list[str]:
    root = Path(site)
    files = sorted((root / relative).rglob("test*.py"))
    return [".".join(f.relative_to(root).with_suffix("").parts) for f in files]


# -- the whole run --------------------------------------------------------------------------------------------
def head_commit(checkout: Path | None = None) -> str:
    done = subprocess.run(["git", "-C", str(checkout or REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True)
    return done.stdout.strip() or "unknown"


def run_suite(suite: Suite, version: str, seeds: Sequence[int], jobs: Sequence[int], timeout: float,
              checkout: Path | None = None) -> list[Cell]:
    python = find_python(version)
    venv = venv_for(python, version, suite)
    src = sdist_for(venv, suite.sdist) if suite.sdist else None
    cwd = src or (CACHE / "work")
    cwd.mkdir(parents=True, exist_ok=True)
    places = {"site": site_packages(venv), "src": str(src or "")}
    venv_python = str(venv / "bin" / "python")
    return run_pair(suite.name, version, venv_python, cwd, fill(suite.unittest, **places),
                    fill(suite.harness, **places), seeds, jobs, timeout, clean_env(), CACHE / "logs", checkout)


def run_pair(name: str, version: str, python: str, cwd: Path, plain_args: Sequence[str],
             harness_args: Sequence[str], seeds: Sequence[int], jobs: Sequence[int], timeout: float,
             env: dict[str, str], logs: Path | None = None, checkout: Path | None = None) -> list[Cell]:
    """unittest once, then harness for every seed and -j; each cell compared with unittest's outcomes.

    `checkout`: run harness from that folder (first on its PYTHONPATH) rather than from the venv's install."""
    stamp = {"commit": head_commit(checkout), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    harness_env = {**env, "PYTHONPATH": str(checkout)} if checkout else env
    shown = f"cd {shlex.quote(str(cwd))} && {shlex.quote(python)} -m unittest {shlex.join(unittest_args(plain_args))}"
    print(f"\n== {name} on {version}: {shown}", flush=True)
    finished, plain = run_unittest(python, plain_args, cwd, env, timeout)
    save_log(logs, name, version, "unittest", finished.output)
    cells = [unittest_cell(name, version, finished, plain, shown)]
    report_cell(cells[0], timeout)
    for seed in seeds:
        for j in jobs:
            shown = (f"cd {shlex.quote(str(cwd))} && {shlex.quote(python)} -m harness "
                     f"{shlex.join(harness_args)} --seed {seed} -j {j} --json report.json")
            print(f"-- {shown}", flush=True)
            keep = logs / f"{version}-{name}-harness-s{seed}-j{j}.json" if logs else None
            finished, result = run_harness(python, harness_args, cwd, harness_env, timeout, seed, j, keep)
            save_log(logs, name, version, f"harness-s{seed}-j{j}", finished.output)
            in_order = replay(python, result, plain, cwd, env, timeout) if result and not finished.hung else None
            cells.append(harness_cell(name, version, seed, j, finished, result, plain, shown, in_order))
            report_cell(cells[-1], timeout)
    for cell in cells:
        cell.commit, cell.date = stamp["commit"], stamp["date"]
    return cells


def save_log(folder: Path | None, name: str, version: str, runner: str, output: str) -> None:
    """The run's whole output, for triage: bench/.compat/logs/3.11-NAME-RUNNER.log (and harness's .json beside)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{version}-{name}-{runner}.log").write_text(output)


def report_cell(cell: Cell, timeout: float) -> None:
    if cell.status == "hang":
        print(f"   HANG: killed after {timeout:.0f} s; {cell.tests} test results were read before")
    print(f"   {cell.runner}: {cell.summary}; {cell.tests} test ids; {cell.elapsed:.1f} s", flush=True)
    for diff in cell.differences[:50]:
        print(f"   DIFF {diff['test']}: unittest {diff['unittest']}, harness {diff['harness']}"
              + (f" ({diff['message'][:160]})" if diff["message"] else "")
              + (f"\n        triage: {diff['triage']}" if diff["triage"] else ""))
    if len(cell.differences) > 50:
        print(f"   ... and {len(cell.differences) - 50} more differences (bench/.compat/results.json)")
    for kind, message, count, first in cell.findings[:40]:
        print(f"   FINDING {kind} x{count}: {message[:200]} (first: {first})")
    if len(cell.findings) > 40:
        print(f"   ... and {len(cell.findings) - 40} more kinds of finding (bench/.compat/results.json)")


# -- the stored results and the Markdown table ----------------------------------------------------------------
def load_results(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text()) if path.exists() else {}


def store_results(path: Path, cells: Iterable[Cell]) -> dict[str, dict]:
    results = load_results(path)
    for cell in cells:
        results[cell.key] = asdict(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, sort_keys=True))
    return results


def cell_text(cell: dict | None) -> str:
    if cell is None:
        return "not run"
    if cell["status"] == "hang":
        return f"**hang** (killed at {cell['elapsed']:.0f} s)"
    if cell["runner"] == "unittest":
        return f"{cell['summary']}, {cell['elapsed']:.1f} s"
    if cell["status"] != "ran":
        return f"**no report**: {cell['summary']}"
    diffs = len(cell["differences"])
    own = sum(d["triage"].startswith("the suite's own") for d in cell["differences"])
    findings = sum(f[2] for f in cell["findings"])
    verdict = "same" if not diffs else f"**{diffs} differ**" + (f" ({own} the suite's own order dependence)"
                                                                   if own else "")
    return f"{verdict}, {findings} findings, {cell['elapsed']:.1f} s"


def markdown_table(results: dict[str, dict], seeds: Sequence[int], jobs: Sequence[int]) -> str:
    """One row per (suite, Python) that has any result; a column per seed and -j."""
    runs = [(s, j) for s in seeds for j in jobs]
    head = ["suite", "Python", "version", "tests", "unittest"] + [f"harness s{s} -j{j}" for s, j in runs]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    versions = {s.name: s.version for s in SUITES}
    rows = sorted({(c["suite"], c["python"]) for c in results.values()})
    for name, python in rows:
        def get(runner: str, seed: int, j: int, name: str = name, python: str = python) -> dict | None:
            return results.get(f"{python}|{name}|{runner}|{seed}|{j}")
        plain = get("unittest", 0, 0)
        tests = str(plain["tests"]) if plain else "?"
        cells = [cell_text(plain)] + [cell_text(get("harness", s, j)) for s, j in runs]
        lines.append("| " + " | ".join([name, python, versions.get(name, "?"), tests, *cells]) + " |")
    return "\n".join(lines) + "\n"


# -- the command line -----------------------------------------------------------------------------------------
def int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers (e.g. 1,2,3)") from None
    if not values:
        raise argparse.ArgumentTypeError("give at least one number")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/compat.py", description=__doc__.split("\n")[0])
    parser.add_argument("--python", action="append", metavar="VERSION",
                        help=f"Python to run on ({', '.join(PYTHONS)}, or a path); repeatable; default: all")
    parser.add_argument("--suite", action="append", metavar="NAME",
                        help="a suite of the corpus (see --list); repeatable; default: all")
    parser.add_argument("--seeds", type=int_list, default=[1, 2, 3], help="harness seeds (default 1,2,3)")
    parser.add_argument("--jobs", type=int_list, default=[1, 2], help="harness -j values (default 1,2)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds each run may take before it is killed and reported as a hang (default 1800)")
    parser.add_argument("--markdown", type=Path, default=CACHE / "compat-table.md",
                        help="where to write the Markdown table (default bench/.compat/compat-table.md)")
    parser.add_argument("--results", type=Path, default=CACHE / "results.json",
                        help="where results accumulate (default bench/.compat/results.json)")
    parser.add_argument("--checkout", type=Path, metavar="DIR",
                        help="run harness from this checkout (put first on PYTHONPATH), e.g. a worktree of a fixed "
                             "commit while you go on editing this one (default: the venvs' editable install of this "
                             "one)")
    parser.add_argument("--list", action="store_true", help="print the corpus and exit")
    parser.add_argument("--table-only", action="store_true", help="write the table from stored results, run nothing")
    return parser


def select_suites(names: Sequence[str] | None) -> list[Suite]:
    known = {s.name: s for s in SUITES}
    unknown = [n for n in names or () if n not in known]
    if unknown:
        raise CompatError(f"unknown suite {unknown[0]!r}; choose from: {', '.join(known)}")
    return [known[n] for n in names] if names else list(SUITES)


def list_corpus() -> str:
    lines = []
    for s in SUITES:
        kind = "async" if s.is_async else "sync"
        lines.append(f"{s.name} {s.version} ({kind}): pip install {' '.join(s.requirements) or '(nothing)'}"
                     + (f"; tests from the sdist {s.sdist}" if s.sdist else "")
                     + f"\n    python -m unittest {shlex.join(unittest_args(s.unittest))}"
                     + f"\n    python -m harness {shlex.join(s.harness)} --seed S -j J --json F"
                     + f"\n    {s.note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_main(args)
    except CompatError as error:
        print(f"compat: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def run_main(args: argparse.Namespace) -> int:
    if args.list:
        print(list_corpus())
        return EXIT_SAME
    suites = select_suites(args.suite)
    if args.checkout is not None:
        args.checkout = args.checkout.resolve()  # the runs start in other folders
        if not (args.checkout / "harness" / "__init__.py").is_file():
            raise CompatError(f"--checkout {args.checkout}: no harness package there; give a checkout's top folder")
    versions = args.python or list(PYTHONS)
    for version in versions:
        find_python(version)  # every Python is checked before anything runs
    cells: list[Cell] = []
    not_set_up: list[str] = []
    for version in [] if args.table_only else versions:
        for suite in suites:
            try:
                found = run_suite(suite, version, args.seeds, args.jobs, args.timeout, args.checkout)
            except CompatError as error:  # the other suites still run
                print(f"compat: error: {suite.name} on {version} could not be set up: {error}", file=sys.stderr)
                not_set_up.append(f"{suite.name} on {version}")
                continue
            store_results(args.results, found)
            cells.extend(found)
    results = load_results(args.results)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(markdown_table(results, [1, 2, 3], [1, 2]))
    print(f"\ncompat: table of every stored result written to {args.markdown}")
    bad = [c for c in cells if c.status != "ran" or c.differences]
    print(f"compat: {len(cells)} runs, {len(bad)} with a difference, a hang or no report")
    if not_set_up:
        print(f"compat: not set up, so not run: {', '.join(not_set_up)}")
        return EXIT_USAGE
    return EXIT_DIFFERENT if bad else EXIT_SAME


if __name__ == "__main__":
    sys.exit(main())
