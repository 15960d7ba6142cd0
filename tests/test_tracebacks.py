"""--tb long|short|line|no and --locals, end to end: what the terminal shows, and what the reports keep."""
from __future__ import annotations

import re
import unittest

from harness import cli
from tests.support import start

SEED = "1"
SHAPES = "test_tracebacks.ShapesTests"


def _failures(stdout: str) -> str:
    """The FAILURES section: from its rule to the recap's."""
    return stdout.partition(" FAILURES ")[2].partition(" short test summary ")[0]


def _without_output(section: str) -> list[str]:
    """Each failure of a FAILURES section without its captured output (IsolatedAsyncioTestCase runs its loop in
    debug mode, which logs slow steps on a loaded machine)."""
    return [failure.partition("\n-----")[0].strip() for failure in section.split("\n\n_")]


class TracebackFormTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "long": start("tracebacks", "--seed", SEED, "--tb", "long"),
            "default": start("tracebacks", "--seed", SEED),
            "short": start("tracebacks", "--seed", SEED, "--tb", "short"),
            "line": start("tracebacks", "--seed", SEED, "--tb", "line"),
            "no": start("tracebacks", "--seed", SEED, "--tb", "no", junit=True),
            "locals": start("tracebacks", "--seed", SEED, "--locals", "-k", "long_local", "-k", "helper"),
            "short_locals": start("tracebacks", "--seed", SEED, "--tb", "short", "--locals", "-k", "helper"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_long_is_the_default_python_traceback(self):
        run = self.runs["long"]
        self.assertEqual(run.code, 1, run.describe())
        section = _failures(run.stdout)
        self.assertEqual(_without_output(section), _without_output(_failures(self.runs["default"].stdout)))
        self.assertIn("Traceback (most recent call last):\n  File \"", section)
        self.assertRegex(section, r'File "[^"]*helpers\.py", line 10, in prices_tax\n')
        self.assertIn("During handling of the above exception, another exception occurred:", section)

    def test_short_shows_the_projects_frames_a_line_each_and_a_chained_exception_in_one_line(self):
        run = self.runs["short"]
        section = _failures(run.stdout)
        self.assertNotIn("Traceback (most recent call last)", section)
        self.assertIn("test_tracebacks.py:13 in test_fails_in_a_helper: self.assertEqual(helpers.total(prices), 3)\n"
                      "helpers.py:6 in total: return sum(prices) + prices_tax(prices)\n"
                      "helpers.py:10 in prices_tax: raise ValueError(f\"no tax rate for {len(prices)} prices\")\n"
                      "ValueError: no tax rate for 2 prices\n", section)
        # the standard library's frames are left out: the failure is shown at the project's last line before them
        self.assertIn("helpers.py:14 in settings: return json.loads(text)\njson.decoder.JSONDecodeError: ", section)
        self.assertNotIn("json/decoder.py", section)
        self.assertIn("RuntimeError: could not recover\n  (raised while handling KeyError: 'missing', at "
                      "test_tracebacks.py:21)\n", section)
        self.assertRegex(section, r"ExceptionGroup: unhandled errors in a TaskGroup \(1 sub-exception\)\n  \[1\]\n"
                                  r"    test_tracebacks\.py:33 in broken: raise ValueError\(\"broken child\"\)\n"
                                  r"    ValueError: broken child\n")

    def test_line_is_one_line_per_failure_at_the_projects_innermost_frame(self):
        run = self.runs["line"]
        lines = _failures(run.stdout).strip("=\n").splitlines()
        self.assertEqual(sorted(lines), sorted([
            "test_tracebacks.py:42: AssertionError: 41 != 42",
            "helpers.py:10: ValueError: no tax rate for 2 prices",
            "test_tracebacks.py:23: RuntimeError: could not recover",
            "test_tracebacks.py:27: AssertionError: 5000 != 1",
            "helpers.py:14: json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 "
            "column 2 (char 1)",
            "test_tracebacks.py:35: ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)",
        ]), run.stdout)

    def test_no_shows_no_failures_section_but_still_the_recap(self):
        run = self.runs["no"]
        self.assertNotIn(" FAILURES ", run.stdout)
        self.assertNotIn("Traceback", run.stdout)
        self.assertIn(f"ERROR {SHAPES}.test_fails_in_a_helper - ValueError: no tax rate for 2 prices", run.stdout)
        self.assertEqual(run.lines()[-1], "0 passed, 6 failed, 0 skipped")

    def test_the_reports_keep_the_long_form_whatever_the_terminal_shows(self):
        for name in ("short", "line", "no"):
            entry = self.runs[name].test(f"{SHAPES}.test_fails_in_a_helper")
            self.assertTrue(entry["longrepr"].startswith("Traceback (most recent call last):\n"), name)
            self.assertIn("in prices_tax\n", entry["longrepr"], name)
        failure = self.runs["no"].junit.find(".//testcase[@name='test_fails_in_a_helper']/error")
        self.assertIn("Traceback (most recent call last):", failure.text)

    def test_locals_shows_each_frames_variables_with_long_values_cut_in_the_terminal_and_the_report(self):
        run = self.runs["locals"]
        section = _failures(run.stdout)
        self.assertIn("    prices = [1, 2]\n", section)
        cut = re.search(r"    long_text = '(x+)\.\.\. \[([\d,]+) more characters\]\n", section)
        self.assertIsNotNone(cut, section)
        self.assertEqual(len(cut[1]) + 1 + int(cut[2].replace(",", "")), 5002)  # the quotes of the repr included
        self.assertLess(len(cut[0]), 250)
        report = run.test("test_long_local")["longrepr"]
        self.assertIn("    long_text = 'xxxx", report)
        self.assertIn("more characters]", report)

    def test_short_with_locals_lists_them_under_each_frame(self):
        section = _failures(self.runs["short_locals"].stdout)
        self.assertIn("helpers.py:6 in total: return sum(prices) + prices_tax(prices)\n    prices = [1, 2]\n", section)

    def test_an_isolated_asyncio_failure_keeps_the_tests_frame(self):
        for name, expected in (("long", r'File "[^"]*test_tracebacks\.py", line 42, in test_stdlib_async_fails\n'
                                        r"    self\.assertEqual\(answer, 42\)\n"),
                               ("line", r"test_tracebacks\.py:42: AssertionError: 41 != 42")):
            self.assertRegex(_failures(self.runs[name].stdout), expected, name)
        self.assertNotIn("harness/stdlib_async.py", self.runs["long"].test("test_stdlib_async_fails")["longrepr"])


class BadTracebackOptionsTests(unittest.TestCase):
    def test_an_unknown_form_is_a_usage_error(self):
        run = start("tracebacks", "--tb", "wide", json_report=False).result()
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(run.stderr, "harness: error: argument --tb: unknown traceback form 'wide'; choose one of: "
                                     "long, short, line, no\n")

    def test_the_options_go_back_to_the_command_line_for_until_failure(self):
        options = {"tb": "line", "tb_locals": True, "maxfail": 3}
        self.assertEqual(cli.given(cli.to_argv(options)), options)
