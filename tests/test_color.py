"""Colour in the text output: --color, NO_COLOR, FORCE_COLOR, and a terminal against a pipe."""
from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import unittest

from harness import cli
from harness.reports import color
from tests.support import SAMPLES, TIMEOUT, environment, start

ESC = "\x1b["


def _on_a_terminal(*options: str, env: dict[str, str] | None = None) -> str:
    """The output of a run of the `mixed` sample whose stdout is a terminal (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness", "--seed", "5", "-k", "OutcomeTests", *options, "."],
            cwd=os.path.join(SAMPLES, "mixed"), env=environment(env), stdout=follower, stderr=subprocess.DEVNULL,
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


class ColorTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "always": start("mixed", "--seed", "5", "--color", "always", json_report=False),
            "always_verbose": start("mixed", "--seed", "5", "-v", "--color", "always", json_report=False),
            "piped": start("mixed", "--seed", "5", json_report=False),
            "forced": start("mixed", "--seed", "5", json_report=False, env={"FORCE_COLOR": "1"}),
            "no_color_wins": start("mixed", "--seed", "5", json_report=False,
                                   env={"FORCE_COLOR": "1", "NO_COLOR": "1"}),
            "flag_wins": start("mixed", "--seed", "5", "--color", "always", json_report=False, env={"NO_COLOR": "1"}),
            "never": start("mixed", "--seed", "5", "--color", "never", json_report=False, env={"FORCE_COLOR": "1"}),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}
        cls.terminal = _on_a_terminal()
        cls.terminal_no_color = _on_a_terminal(env={"NO_COLOR": "1"})

    def test_color_always_colours_the_outcomes_and_keeps_the_last_line_plain(self):
        run = self.runs["always"]
        self.assertEqual(run.code, 1, run.describe())
        progress = run.lines()[1]
        self.assertIn("\x1b[32m.\x1b[0m", progress)
        self.assertIn("\x1b[31mF\x1b[0m", progress)
        self.assertIn("\x1b[33ms\x1b[0m", progress)
        self.assertIn("\x1b[31m" + "=" * 45 + " FAILURES ", run.stdout)
        self.assertRegex(run.lines()[-3], r"^\x1b\[31mran 8 tests in .*\x1b\[0m$")
        self.assertEqual(run.lines()[-1], "4 passed, 3 failed, 1 skipped")

    def test_verbose_colours_the_outcome_word(self):
        self.assertRegex(self.runs["always_verbose"].stdout, r"\ntest_mixed\.OutcomeTests\.test_fails \.\.\. "
                                                             r"\x1b\[31mFAIL\x1b\[0m \(")

    def test_a_pipe_gets_no_colour_unless_forced(self):
        self.assertNotIn(ESC, self.runs["piped"].stdout)
        self.assertIn(ESC, self.runs["forced"].stdout)
        self.assertNotIn(ESC, self.runs["no_color_wins"].stdout)

    def test_the_flag_wins_over_the_environment(self):
        self.assertIn(ESC, self.runs["flag_wins"].stdout)
        self.assertNotIn(ESC, self.runs["never"].stdout)
        self.assertEqual(self.runs["never"].lines()[-1], "4 passed, 3 failed, 1 skipped")

    def test_a_terminal_gets_colour_unless_no_color_is_set(self):
        self.assertIn("\x1b[31mF\x1b[0m", self.terminal)
        self.assertEqual(self.terminal.splitlines()[-1], "3 passed, 3 failed, 1 skipped")
        self.assertNotIn(ESC, self.terminal_no_color)
        self.assertEqual(self.terminal_no_color.splitlines()[-1], "3 passed, 3 failed, 1 skipped")


class WantedTests(unittest.TestCase):
    def test_a_dumb_terminal_or_an_empty_no_color_is_as_described(self):
        class Terminal(io.StringIO):
            def isatty(self):
                return True

        self.assertFalse(color.wanted("auto", Terminal(), {"TERM": "dumb"}))
        self.assertTrue(color.wanted("auto", Terminal(), {"NO_COLOR": ""}), "an empty NO_COLOR does not count")
        self.assertFalse(color.wanted("auto", io.StringIO(), {}))

    def test_an_unknown_choice_is_refused(self):
        with self.assertRaisesRegex(cli.UsageError, r"^argument --color: unknown choice 'sometimes'; choose one of: "
                                                    r"auto, always, never$"):
            cli.given(["--color", "sometimes"])
