"""Progress on a terminal (the share done at each row's end, the time left) and the recap above the summary line."""
from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import tempfile
import unittest

from tests.support import SAMPLES, TIMEOUT, environment, start

MIXED = "test_mixed.OutcomeTests"
RECAP = [
    f"ERROR {MIXED}.test_errors - KeyError: 'no such key'",
    f"FAIL {MIXED}.test_prints_then_fails - AssertionError: after printing",
    f"FAIL {MIXED}.test_fails - AssertionError: 1 != 2",
]


def _on_a_terminal(*options: str, columns: int = 100, env: dict[str, str] | None = None) -> str:
    """What a run of the `mixed` sample writes to a terminal (a pseudo-terminal) `columns` wide, colourless."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness", "--seed", "5", "--color", "never", *options, "."],
            cwd=os.path.join(SAMPLES, "mixed"), env=environment({"COLUMNS": str(columns), **(env or {})}),
            stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the run has ended and closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=TIMEOUT)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def _shown(output: str) -> list[str]:
    """The lines as the terminal leaves them: each redraw (a carriage return) writes over the line from its start."""
    return [line.rpartition("\r")[2] if "\r" in line else line for line in output.split("\n")]


class RecapTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "piped": start("mixed", "--seed", "5", json_report=False),
            "quiet": start("mixed", "--seed", "5", "-q", json_report=False),
            "verbose": start("mixed", "--seed", "5", "-v", json_report=False),
            "passing": start("mixed", "--seed", "5", "-k", "passes", json_report=False),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}
        cls.narrow = _on_a_terminal(columns=60)

    def test_one_line_per_failure_comes_just_above_the_summary_and_the_summary_line_stays_last(self):
        for name in ("piped", "verbose"):
            lines = self.runs[name].lines()
            ran = next(i for i, line in enumerate(lines) if line.startswith("ran 8 tests in "))
            self.assertEqual(lines[ran - 6:ran], [
                "", " short test summary ".center(100, "="), *RECAP, ""], self.runs[name].stdout)
            self.assertEqual(lines[-1], "4 passed, 3 failed, 1 skipped")

    def test_quiet_has_no_recap_and_a_passing_run_none_either(self):
        self.assertNotIn("short test summary", self.runs["quiet"].stdout)
        self.assertIn(" FAILURES ", self.runs["quiet"].stdout)
        self.assertNotIn("short test summary", self.runs["passing"].stdout)

    def test_on_a_terminal_each_line_is_cut_to_its_width(self):
        lines = _shown(self.narrow)
        recap = lines[lines.index(" short test summary ".center(100, "=")) + 1:][:3]
        self.assertEqual(recap, [line if len(line) <= 60 else line[:57] + "..." for line in RECAP], self.narrow)


class ProgressTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-progress-")
        cls.addClassCleanup(cls.folder.cleanup)
        cache = os.path.join(cls.folder.name, "cache")
        os.makedirs(cache)
        ids = [f"{MIXED}.test_{name}" for name in ("skipped", "passes", "expected_failure", "errors",
                                                    "prints_then_fails", "slow", "fails")]
        with open(os.path.join(cache, "lastrun.json"), "w", encoding="utf-8") as file:
            json.dump({"version": 1, "failed": [], "durations": dict.fromkeys(ids, 2.0)}, file)
        empty = os.path.join(cls.folder.name, "empty")
        cls.plain = _on_a_terminal("--cache-dir", empty)
        cls.estimated = _on_a_terminal("--cache-dir", cache)
        cls.quiet = _on_a_terminal("-q", "--cache-dir", cache)
        cls.verbose = _on_a_terminal("-v", "--cache-dir", cache)
        cls.piped = start("mixed", "--seed", "5", "--cache-dir", cache, json_report=False).result()

    def test_the_row_ends_with_the_share_of_the_tests_done(self):
        row = _shown(self.plain)[1]
        self.assertRegex(row, r"^s\.xEF\.F\. +\[100%\]$", self.plain)
        self.assertLess(len(row), 100)
        self.assertRegex(self.plain, r"\rs +\[ 12%\]\r", "the row in progress shows the share done too")
        self.assertNotIn("expected to take", self.plain)

    def test_with_durations_in_the_cache_the_header_says_how_long_and_the_row_how_long_is_left(self):
        self.assertIn("\nexpected to take about 16 s, by the durations of earlier runs\n", self.estimated)
        left = re.findall(r"\[ *(\d+)%, about (\d+) s left\]", self.estimated)
        self.assertTrue(left, self.estimated)
        for percent, seconds in left:  # 7 of the 8 tests recorded at 2 s each, the eighth counted at their median
            self.assertEqual(int(seconds), 16 - 2 * round(int(percent) * 8 / 100), self.estimated)
        self.assertRegex(_shown(self.estimated)[2], r"^s\.xEF\.F\. +\[100%\] *$", self.estimated)

    def test_not_with_q_or_v_nor_on_a_pipe(self):
        for output in (self.quiet, self.verbose, self.piped.stdout):
            self.assertNotIn("%]", output)
            self.assertNotIn("expected to take", output)
