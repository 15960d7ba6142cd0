"""The command line, end to end: exit codes, usage errors, selection, progress, durations and settings."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

from tests.support import SAMPLES, TIMEOUT, Run, environment, line_of, start

MIXED_TESTS = {
    "test_mixed.OutcomeTests.test_passes", "test_mixed.OutcomeTests.test_fails", "test_mixed.OutcomeTests.test_errors",
    "test_mixed.OutcomeTests.test_skipped", "test_mixed.OutcomeTests.test_expected_failure",
    "test_mixed.OutcomeTests.test_slow", "test_mixed.OutcomeTests.test_prints_then_fails",
    "test_mixed.LeakyTests.test_leaves_a_task_running",
}
HEADER = r"^harness \d+\.\d+\.\d+ on Python \d+\.\d+\.\d+: {count} tests?, bucket {bucket}, --seed {seed}$"


class UsageErrorTests(unittest.TestCase):
    """Every usage error is exit code 4 and one line on stderr, never a traceback."""

    CASES = {
        ("--seed", "abc"): r"^harness: error: argument --seed: 'abc' is not a seed; use a whole number such as 12345$",
        ("--bucket", "nope"): r"^harness: error: argument --bucket: unknown bucket 'nope'; "
                              r"choose one of: module, class, global, none$",
        ("missing/folder",): r"^harness: error: target 'missing/folder' does not exist: "
                             r"give a directory, a \.py file or a dotted test id$",
        ("missing_module",): r"^harness: error: target 'missing_module' names no module that can be found from .*$",
        ("--durations", "-1"): r"^harness: error: argument --durations: '-1' is negative; use 0 or more$",
        ("--teardown-timeout", "0"): r"^harness: error: argument --teardown-timeout: '0' must be a positive number "
                                     r"of seconds$",
        ("--no-such-option",): r"^harness: error: unrecognized arguments: --no-such-option$",
        ("--json", "test_mixed.py/report.json", "."): r"^harness: error: cannot write the JSON report to "
                                                      r"'test_mixed\.py/report\.json': 'test_mixed\.py' is a file, "
                                                      r"not a folder; give a path in a folder$",
        ("--junit-xml", "test_mixed.py/deeper/report.xml", "."): r"^harness: error: cannot write the JUnit XML report "
                                                                 r"to 'test_mixed\.py/deeper/report\.xml': "
                                                                 r"'test_mixed\.py' is a file, not a folder; give a "
                                                                 r"path in a folder$",
        ("--json", ".", "."): r"^harness: error: cannot write the JSON report to '\.': it is a folder; give a file "
                              r"path such as '\./report\.json'$",
    }

    @classmethod
    def setUpClass(cls):
        started = {args: start("mixed", targets=args, json_report=False) for args in cls.CASES}
        cls.runs = {args: run.result() for args, run in started.items()}

    def test_bad_values_and_targets_exit_4_with_one_line_on_stderr(self):
        for args, pattern in self.CASES.items():
            with self.subTest(args=args):
                run = self.runs[args]
                self.assertEqual(run.code, 4, run.describe())
                self.assertEqual(len(run.stderr.splitlines()), 1, run.describe())
                self.assertRegex(run.stderr.rstrip("\n"), pattern)
                self.assertEqual(run.stdout, "")

    def test_unknown_setting_in_setup_cfg_exits_4_with_one_line_on_stderr(self):
        run = start("config_unknown_key", json_report=False).result()
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(
            run.stderr,
            r"^harness: error: unknown setting 'colour' in setup\.cfg \[harness\]; known settings: testpaths, "
            r"pattern, seed, bucket, [a-z_, ]+\n$",
        )
        self.assertNotIn("Traceback", run.stderr)


class ExitCodeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "failing": start("mixed", "--seed", "5"),
            "passing": start("mixed", "-q", "--seed", "5", "-k", "test_pass", "-k", "*Leaky*"),
            "quiet_failing": start("mixed", "-q", "--seed", "5", "--durations", "1", "-k", "test_fails"),
            "empty": start("empty", "--seed", "5"),
            "unmatched": start("mixed", "-k", "no_test_has_this_name"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_a_run_with_failures_exits_1_and_says_how_to_repeat_it(self):
        run = self.runs["failing"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertRegex(run.lines()[0], HEADER.format(count=8, bucket="module", seed=5))
        self.assertEqual(run.lines()[-2], "rerun this order with: python -m harness --seed 5 --bucket module")
        self.assertEqual(run.lines()[-1], "4 passed, 3 failed, 1 skipped")

    def test_progress_is_one_character_per_test(self):
        run = self.runs["failing"]
        expected = "".join({"passed": ".", "failed": "F", "error": "E", "skipped": "s", "xfailed": "x"}[t["outcome"]]
                           for t in run.report["tests"])
        self.assertEqual(run.lines()[1], expected)
        self.assertEqual(sorted(expected), sorted("...FFEsx"))

    def test_a_passing_run_exits_0(self):
        run = self.runs["passing"]
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(set(run.outcomes), {"test_mixed.OutcomeTests.test_passes",
                                             "test_mixed.LeakyTests.test_leaves_a_task_running"})

    def test_quiet_prints_the_header_and_the_summary_only(self):
        lines = self.runs["passing"].lines()
        self.assertEqual(len(lines), 4, lines)
        self.assertRegex(lines[0], HEADER.format(count=2, bucket="module", seed=5))
        self.assertEqual(lines[1], "")
        self.assertRegex(lines[2], r"^ran 2 tests in \d+\.\d\d s \(1 test left tasks running\)$")
        self.assertEqual(lines[3], "2 passed, 0 failed, 0 skipped")

    def test_quiet_still_shows_failures_and_the_durations_asked_for(self):
        run = self.runs["quiet_failing"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn(" FAIL: test_mixed.OutcomeTests.test_fails ", run.stdout)
        self.assertIn("AssertionError: 1 != 2", run.stdout)
        self.assertRegex(run.stdout, r"\n +\d+\.\d{3} s +\d+\.\d MiB  test_mixed\.OutcomeTests\.test_fails\n")
        self.assertEqual(run.lines()[-1], "0 passed, 1 failed, 0 skipped")

    def test_an_empty_folder_exits_5(self):
        run = self.runs["empty"]
        self.assertEqual(run.code, 5, run.describe())
        self.assertEqual(run.stderr, "harness: no tests collected from .\n")
        self.assertEqual(run.lines()[-1], "0 passed, 0 failed, 0 skipped")

    def test_a_keyword_matching_nothing_exits_5(self):
        run = self.runs["unmatched"]
        self.assertEqual(run.code, 5, run.describe())
        self.assertEqual(run.stderr, "harness: no tests collected from . with -k\n")


class SelectionTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "failfast": start("mixed", "-x", "--seed", "5"),
            "keywords": start("mixed", "-v", "-k", "OutcomeTests.test_s", "-k", "test_*_then_*"),
            "durations": start("mixed", "--durations", "2", "-k", "slow", "-k", "test_passes", "-k", "Leaky"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_failfast_stops_after_the_first_failure(self):
        run = self.runs["failfast"]
        outcomes = [run.tests[test_id]["outcome"] for test_id in run.order if test_id in run.tests]
        self.assertEqual(list(run.tests), run.order[: len(run.tests)], "tests ran in another order than planned")
        self.assertIn(outcomes[-1], ("failed", "error"))
        self.assertTrue(all(outcome in ("passed", "skipped", "xfailed") for outcome in outcomes[:-1]), outcomes)
        self.assertLess(len(outcomes), len(MIXED_TESTS))
        self.assertEqual(run.code, 1)

    def test_keywords_select_by_substring_or_glob(self):
        run = self.runs["keywords"]
        self.assertEqual(set(run.outcomes), {
            "test_mixed.OutcomeTests.test_skipped", "test_mixed.OutcomeTests.test_slow",
            "test_mixed.OutcomeTests.test_prints_then_fails",
        })

    def test_verbose_prints_a_line_per_test_with_outcome_and_time(self):
        lines = self.runs["keywords"].lines()
        expected = {
            "test_mixed.OutcomeTests.test_skipped": r"skipped \(\d+\.\d{3} s\) \[not on this machine\]",
            "test_mixed.OutcomeTests.test_slow": r"ok \(\d+\.\d{3} s\)",
            "test_mixed.OutcomeTests.test_prints_then_fails":
                r"FAIL \(\d+\.\d{3} s\) \[AssertionError: after printing\]",
        }
        for test_id, pattern in expected.items():
            with self.subTest(test_id):
                line = rf"^{re.escape(test_id)} \.\.\. {pattern}$"
                self.assertEqual(len([text for text in lines if re.match(line, text)]), 1, lines)

    def test_failures_show_the_traceback_and_the_captured_output(self):
        stdout = self.runs["keywords"].stdout
        failed_at = line_of("mixed", "test_mixed.py", 'self.fail("after printing")')
        self.assertIn(f'line {failed_at}, in test_prints_then_fails\n    self.fail("after printing")\n', stdout)
        self.assertRegex(stdout, r"(?m)^-+ captured stdout -+\nhello from test_prints_then_fails$")

    def test_durations_lists_the_slowest_tests_first(self):
        run = self.runs["durations"]
        lines = run.lines()
        title = next(i for i, line in enumerate(lines) if " slowest 2 tests " in line)
        row = r"^ +(\d+\.\d{3}) s +\d+\.\d MiB  (test_mixed\.\w+\.test_\w+)$"
        listed = [re.match(row, line) for line in lines[title + 1:title + 3]]
        self.assertTrue(all(listed), lines)
        slowest = sorted(run.tests, key=lambda test_id: run.tests[test_id]["duration"], reverse=True)[:2]
        self.assertEqual([match[2] for match in listed], slowest)
        self.assertIn("test_mixed.OutcomeTests.test_slow", slowest)  # it sleeps 0.2 s; the others barely run
        self.assertEqual(lines[title + 3], "")


class SettingsTests(unittest.TestCase):
    """setup.cfg [harness]: testpaths, seed, bucket, verbosity and strict, with the command line on top."""

    @classmethod
    def setUpClass(cls):
        configured, overridden = start("config", targets=()), start("config", "-q", "--seed", "7", "--bucket", "none",
                                                                     targets=())
        cls.configured, cls.overridden = configured.result(), overridden.result()

    def test_settings_in_setup_cfg_apply(self):
        run = self.configured
        self.assertRegex(run.lines()[0], HEADER.format(count=2, bucket="class", seed=4242))
        self.assertEqual((run.report["seed"], run.report["bucket"]), (4242, "class"))
        self.assertIn("test_configured.ConfiguredTests.test_clean ... ok", run.stdout)  # verbosity = 2
        self.assertEqual(run.outcomes["test_configured.ConfiguredTests.test_leaves_a_task_running"], "failed")  # strict
        self.assertEqual(run.code, 1)

    def test_the_command_line_overrides_setup_cfg(self):
        run = self.overridden
        self.assertRegex(run.lines()[0], HEADER.format(count=2, bucket="none", seed=7))
        self.assertNotIn(" ... ", run.stdout)
        self.assertEqual(run.order, ["test_configured.ConfiguredTests.test_clean",
                                     "test_configured.ConfiguredTests.test_leaves_a_task_running"])


class DefaultTestPathTests(unittest.TestCase):
    """No target and a missing testpaths folder: the message says whether the path is the default or names the file."""

    @classmethod
    def setUpClass(cls):
        default = start("empty", targets=(), json_report=False)
        from_file = start("testpaths_missing", targets=(), json_report=False)
        cls.default, cls.from_file = default.result(), from_file.result()

    def test_a_missing_default_test_path_says_it_is_the_default(self):
        self.assertEqual(self.default.code, 4, self.default.describe())
        self.assertEqual(self.default.stderr, "harness: error: no target given and the default test folder 'tests' "
                                              "does not exist; pass a directory, a file or a test id, or set "
                                              "testpaths in setup.cfg [harness]\n")

    def test_a_missing_test_path_from_setup_cfg_names_the_file_and_section(self):
        self.assertEqual(self.from_file.code, 4, self.from_file.describe())
        self.assertEqual(self.from_file.stderr, "harness: error: the test path 'no_such_folder' (testpaths in "
                                                "setup.cfg [harness]) does not exist; fix testpaths there, or pass a "
                                                "directory, a file or a test id\n")


class HelpTests(unittest.TestCase):
    def test_quiet_help_says_what_it_leaves_out(self):
        run = start("mixed", "--help", targets=(), json_report=False).result()
        self.assertEqual(run.code, 0, run.describe())
        self.assertIn("-q, --quiet no progress characters and no leftover-task listing; the header, failures, "
                      "--durations and the summary stay", " ".join(run.stdout.split()))


class BrokenPipeTests(unittest.TestCase):
    """`python -m harness -v | head -1`: output stops when the reader goes, the run finishes and writes its report."""

    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory(prefix="harness-pipe-") as folder:
            json_path, marker = os.path.join(folder, "report.json"), os.path.join(folder, "reader-gone")
            with open(os.path.join(folder, "stderr"), "w+", encoding="utf-8") as stderr:
                process = subprocess.Popen(
                    [sys.executable, "-m", "harness", "-v", "--bucket", "none", "--seed", "1", "--json", json_path,
                     "."],
                    cwd=os.path.join(SAMPLES, "broken_pipe"), env=environment() | {"HARNESS_SAMPLE_MARKER": marker},
                    stdout=subprocess.PIPE, stderr=stderr, text=True,
                )
                cls.first_line = process.stdout.readline()
                process.stdout.close()  # the reader goes away while the first test waits for the marker
                open(marker, "w").close()
                try:
                    cls.code = process.wait(timeout=TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    raise AssertionError("the harness hung after its reader went away") from None
                stderr.seek(0)
                cls.stderr = stderr.read()
            with open(json_path, encoding="utf-8") as file:
                cls.report = json.load(file)

    def test_the_run_ends_with_the_tests_exit_code_and_nothing_on_stderr(self):
        self.assertRegex(self.first_line.rstrip("\n"), HEADER.format(count=3, bucket="none", seed=1))
        self.assertEqual((self.code, self.stderr), (0, ""))

    def test_every_test_runs_and_is_in_the_report(self):
        self.assertEqual({entry["id"]: entry["outcome"] for entry in self.report["tests"]}, {
            "test_broken_pipe.AWaitsForTheReaderTests.test_waits_for_the_marker": "passed",
            "test_broken_pipe.BPrintsInItsFixtureTests.test_1": "passed",
            "test_broken_pipe.BPrintsInItsFixtureTests.test_2": "passed",
        })


def _harness_script() -> str | None:
    """The `harness` command installed next to this Python, if the package is installed in its environment."""
    path = os.path.join(os.path.dirname(sys.executable), "harness")
    return path if os.path.exists(path) else None


class _Command:
    """One way of starting the runner, started in tests/samples/cwd_import with a JSON report."""

    def __init__(self, name: str, command: list[str]) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="harness-command-")
        self.json_path = os.path.join(self.folder.name, "report.json")
        self.args = (name, "--seed", "3", "--json", self.json_path)
        self.process = subprocess.Popen(
            [*command, *self.args[1:]], cwd=os.path.join(SAMPLES, "cwd_import"), env=environment(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def result(self) -> Run:
        try:
            stdout, stderr = self.process.communicate(timeout=TIMEOUT)
            report = None
            if os.path.exists(self.json_path):
                with open(self.json_path, encoding="utf-8") as file:
                    report = json.load(file)
        finally:
            self.folder.cleanup()
        return Run(args=self.args, code=self.process.returncode, stdout=stdout, stderr=stderr, elapsed=0.0,
                   report=report)


class CommandTests(unittest.TestCase):
    """python -m harness, python runtests.py and the harness command: the same imports, each its own rerun line."""

    OUTCOMES = {
        "test_cache.CacheTests.test_stores": "passed",
        "test_cache.CacheTests.test_fails_so_the_rerun_line_is_printed": "failed",
    }

    @classmethod
    def setUpClass(cls):
        commands = {"python -m harness": [sys.executable, "-m", "harness"],
                    "python runtests.py": [sys.executable, "runtests.py"]}
        script = _harness_script()
        if script is not None:
            commands["harness"] = [script]
        started = [_Command(name, command) for name, command in commands.items()]
        cls.runs = {run.args[0]: run.result() for run in started}

    def test_every_way_imports_from_the_current_directory(self):
        for name, run in self.runs.items():
            with self.subTest(name):
                self.assertEqual((run.code, run.outcomes), (1, self.OUTCOMES), run.describe())

    def test_the_harness_command_imports_from_the_current_directory(self):
        if "harness" not in self.runs:
            self.skipTest(f"no harness command next to {sys.executable}: pip install -e . in that environment")
        run = self.runs["harness"]
        self.assertEqual(run.outcomes, self.OUTCOMES, run.describe())

    def test_the_rerun_line_names_the_command_used(self):
        for name, run in self.runs.items():
            with self.subTest(name):
                self.assertEqual(run.lines()[-2], f"rerun this order with: {name} --seed 3 --bucket module",
                                 run.describe())


class SelectByIdTests(unittest.TestCase):
    """--id keeps exactly the tests of the ids given (both tests of an id two tests share), from what the targets
    load; @FILE reads the ids from a file; an id that matches nothing is one line and exit code 4."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-ids-")
        listed = os.path.join(cls.folder.name, "ids.txt")
        with open(listed, "w", encoding="utf-8") as file:
            file.write("adder.add\n\ntest_implementations.Before.test_before_the_doctests\n")
        runs = {
            "one": start("duplicate_ids", "--seed", "3", "--id", "adder.add"),
            "file": start("duplicate_ids", "--seed", "3", "--id", "@" + listed, "--id", "adder"),
            "repeated": start("duplicate_ids", "--seed", "3", "--repeat", "2", "--id", "adder.add",
                              "--id", "adder#2"),
            "missing": start("duplicate_ids", "--seed", "3", "--id", "adder.ad", json_report=False),
            "unreadable": start("duplicate_ids", "--id", "@" + listed + ".missing", json_report=False),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def test_each_test_of_the_id_runs_and_nothing_else(self):
        run = self.runs["one"]
        self.assertEqual(sorted((entry["id"], entry["stdout"].strip()) for entry in run.report["tests"]),
                         [("adder.add", "fast"), ("adder.add", "pure")], run.describe())
        self.assertEqual(run.lines()[-1], "2 passed, 0 failed, 0 skipped")

    def test_ids_from_a_file_and_the_command_line_add_up(self):
        run = self.runs["file"]
        self.assertEqual(sorted(entry["id"] for entry in run.report["tests"]), [
            "adder", "adder", "adder.add", "adder.add", "test_implementations.Before.test_before_the_doctests",
        ], run.describe())

    def test_under_repeat_an_id_keeps_every_run_of_its_tests_and_an_id_with_its_number_one_run(self):
        run = self.runs["repeated"]
        self.assertEqual(sorted(entry["id"] for entry in run.report["tests"]), [
            "adder#2", "adder#2", "adder.add#1", "adder.add#1", "adder.add#2", "adder.add#2",
        ], run.describe())

    def test_an_id_that_matches_nothing_or_a_file_that_cannot_be_read_is_one_line_and_exit_code_4(self):
        missing, unreadable = self.runs["missing"], self.runs["unreadable"]
        self.assertEqual((missing.code, unreadable.code), (4, 4), missing.describe() + unreadable.describe())
        self.assertEqual(missing.stderr.splitlines()[-1], "harness: error: --id 'adder.ad' is not one of the 5 tests "
                         "collected from .; did you mean 'adder.add'?")
        self.assertRegex(unreadable.stderr.splitlines()[-1], r"^harness: error: argument --id: cannot read the ids in "
                         r"'.*ids\.txt\.missing': No such file or directory$")
