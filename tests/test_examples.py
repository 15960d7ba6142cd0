"""The examples under docs/examples, end to end: every command a README shows prints what it shows."""
from __future__ import annotations

import dataclasses
import os
import re
import shlex
import subprocess
import sys
import unittest

from tests.support import REPO, TIMEOUT, environment

EXAMPLES = os.path.join(REPO, "docs", "examples")
FOLDERS = ("polluter", "leaked_task", "cross_loop", "hang")
PROMPT = "$ python -m harness "
FENCE = "```"
REPO_IN_DOCS = "/path/to/harness"  # what the READMEs show in place of the checkout's own path

# What may differ between the documented run and this one, each rewritten to one placeholder on both
# sides: times, the Python version, memory and thread addresses, where the standard library lives and
# its line numbers (they change between Python versions).
_VARYING = (
    (re.compile(r"\d+\.\d+ s\b"), "T s"),
    (re.compile(r"on Python \d+\.\d+\.\d+"), "on Python X"),
    (re.compile(r"0x[0-9a-fA-F]+"), "0x?"),
    (re.compile(r'"[^"]*/lib/python3\.\d+/([^"]+)", line \d+'), r'"<stdlib>/\1", line N'),
    (re.compile(r"\b((?:asyncio|anyio|trio)/[\w/]+\.py):\d+"), r"\1:N"),
    # The test's own task is asyncio's default-named driver task; Python 3.13.0 shows its name as 'None'.
    (re.compile(r"task '[^']*', the test's own"), "task '?', the test's own"),
)
_CARETS = re.compile(r"^\s*[~^]+\s*$")  # Python 3.11+ underlines the failing expression; 3.13 differently


@dataclasses.dataclass(frozen=True)
class Documented:
    """One command of an example's README and the lines it is shown to print."""

    folder: str
    command: str
    output: tuple[str, ...]


def documented(folder: str) -> list[Documented]:
    """The fenced blocks of FOLDER/README.md that start with a harness command."""
    with open(os.path.join(EXAMPLES, folder, "README.md"), encoding="utf-8") as file:
        blocks = file.read().split(FENCE)[1::2]  # the insides of the fences, with their info strings
    found = []
    for block in blocks:
        lines = block.split("\n")[1:]  # the first line is the info string
        if lines and lines[0].startswith(PROMPT):
            found.append(Documented(folder, lines[0][2:], tuple(line for line in lines[1:] if line)))
    return found


def normalise(lines: list[str] | tuple[str, ...]) -> list[str]:
    """The lines that must match: blank lines, '...' elisions and caret underlines left out."""
    kept = []
    for line in lines:
        line = line.rstrip()
        if not line or line == "..." or _CARETS.match(line):
            continue
        for pattern, placeholder in _VARYING:
            line = pattern.sub(placeholder, line)
        kept.append(line)
    return kept


def missing_line(expected: list[str], actual: list[str]) -> str | None:
    """The first expected line that does not appear in `actual` after the previous one, or None."""
    position = 0
    for line in expected:
        try:
            position = actual.index(line, position) + 1
        except ValueError:
            return line
    return None


class Started:
    """One documented command running in its example's folder."""

    def __init__(self, run: Documented) -> None:
        self.run = run
        argv = [sys.executable, *shlex.split(run.command)[1:]]
        self.process = subprocess.Popen(
            argv, cwd=os.path.join(EXAMPLES, run.folder), env=environment(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
        )

    def output(self) -> str:
        try:
            stdout, _ = self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, _ = self.process.communicate()
            raise AssertionError(f"{self.run.command} hung for {TIMEOUT} s in {self.run.folder}\n{stdout}") from None
        return stdout.replace(REPO, REPO_IN_DOCS)


_started: dict[str, list[Started]] = {}


def setUpModule() -> None:
    # Start every example's commands at once: the hang example alone waits out two time limits.
    for folder in FOLDERS:
        _started[folder] = [Started(run) for run in documented(folder)]


def tearDownModule() -> None:
    for runs in _started.values():
        for started in runs:
            if started.process.poll() is None:
                started.process.kill()
                started.process.communicate()


class ExamplesTests(unittest.TestCase):
    def check_example(self, folder: str, *key_lines: str) -> None:
        runs = _started[folder]
        self.assertTrue(runs, f"docs/examples/{folder}/README.md shows no '{PROMPT.strip()}' command")
        shown = "\n".join(line for started in runs for line in started.run.output)
        for key in key_lines:
            self.assertIn(key, shown, f"docs/examples/{folder}/README.md no longer shows this line")
        for started in runs:
            with self.subTest(command=started.run.command):
                output = started.output()
                line = missing_line(normalise(started.run.output), normalise(output.splitlines()))
                self.assertIsNone(line, f"in {folder}, `{started.run.command}` no longer prints this line "
                                        f"where its README shows it; it printed:\n{output}")

    def test_polluter_shows_the_change_and_bisect_names_the_polluter(self):
        self.check_example(
            "polluter",
            "    - shop.CURRENCY replaced by 'USD' (attributes; restored)",
            "AssertionError: '2.50 USD' != '2.50 EUR'",
            "bisect: test_labels.LabelTests.test_label_in_euros fails after this test (4 trials, 0.9 s):",
            "        attributes: shop.CURRENCY replaced by 'USD'",
        )

    def test_leaked_task_is_reported_with_its_creation_site(self):
        self.check_example(
            "leaked_task",
            "    - task 'heartbeat' running Client._beat_forever() (created at heartbeat.py:11 in connect, "
            "suspended at heartbeat.py:16 in _beat_forever): cancelled",
        )

    def test_cross_loop_failure_has_the_note_and_the_class_loop_fixes_it(self):
        self.check_example(
            "cross_loop",
            "note: the asyncio.queues.Queue used here was made on the event loop of "
            "test_cached.CachedConnectionTests.test_select_one, "
            "which ended with that test;",
            "2 passed, 0 failed, 0 skipped",
        )

    def test_hangs_are_stopped_at_their_limits_and_reported(self):
        self.check_example(
            "hang",
            "    test_hangs.py:21 in test_waits_for_shutdown: await shutdown.wait()  # nobody sets it: waits forever",
            '  File "/path/to/harness/docs/examples/hang/test_hangs.py", line 14 in test_waits_for_a_reply',
            "0 passed, 2 failed, 0 skipped",
        )


class NormaliseTests(unittest.TestCase):
    def test_times_versions_addresses_and_stdlib_lines_are_placeholders(self):
        self.assertEqual(
            normalise([
                "harness 0.1.0 on Python 3.13.0: 2 tests", "ran 2 tests in 1.29 s (2 errors)",
                "RuntimeError: <Queue at 0x7fb0d3564750 maxsize=0>",
                '  File "/root/.pyenv/versions/3.12.1/lib/python3.12/threading.py", line 355 in wait',
                "    asyncio/locks.py:212 in wait: await fut", "             ~~~~~~~~~~~~~~^^", "...", "",
            ]),
            ["harness 0.1.0 on Python X: 2 tests", "ran 2 tests in T s (2 errors)",
             "RuntimeError: <Queue at 0x? maxsize=0>", '  File "<stdlib>/threading.py", line N in wait',
             "    asyncio/locks.py:N in wait: await fut"],
        )

    def test_a_line_missing_or_out_of_order_is_named(self):
        self.assertIsNone(missing_line(["a", "c"], ["a", "b", "c"]))
        self.assertEqual(missing_line(["c", "a"], ["a", "b", "c"]), "a")
        self.assertEqual(missing_line(["d"], ["a"]), "d")
