"""Bad input, end to end: bad options, settings and targets are exit code 4 (no tests: 5) and one line on stderr."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import unittest

from tests.support import REPO, TIMEOUT, Run, environment, start

SAMPLE = "bad_input"

# arguments -> the one line on stderr (anchored); every one exits 4 and prints nothing on stdout
USAGE_ERRORS: dict[tuple[str, ...], str] = {
    ("--seed", ""): r"argument --seed: '' is not a seed; use a whole number such as 12345",
    ("--seed", "1e5"): r"argument --seed: '1e5' is not a seed; use a whole number such as 12345",
    ("--seed", "18446744073709551616"): r"argument --seed: '18446744073709551616' is too big for a seed; use a whole "
                                        r"number from 0 to 18446744073709551615",
    ("--bucket", "x"): r"argument --bucket: unknown bucket 'x'; choose one of: module, class, global, none",
    ("--bucket", ""): r"argument --bucket: unknown bucket ''; choose one of: module, class, global, none",
    ("--durations", "-1"): r"argument --durations: '-1' is negative; use 0 or more",
    ("--durations", "9" * 5000): r"argument --durations: '9{37}\.\.\.' is not a whole number",
    ("--teardown-timeout", "-1"): r"argument --teardown-timeout: '-1' must be a positive number of seconds",
    ("--teardown-timeout", "nan"): r"argument --teardown-timeout: 'nan' must be a positive number of seconds",
    ("-k", ""): r"argument -k: the pattern is empty, so it matches every test; give part of a test id, or leave -k "
                r"out",
    ("-p", ""): r"argument -p/--pattern: the pattern is empty; give one such as 'test\*\.py'",
    ("--json", ""): r"argument --json: the path is empty; give a file path such as 'report\.json'",
    ("--junit-xml", " "): r"argument --junit-xml: the path is empty; give a file path such as 'report\.json'",
    ("--repeat", "0"): r"argument --repeat: '0' is too small; use 1 or more",
    ("--max-memory", "2048"): r"argument --max-memory: '2048' has no unit; write 512M or 2G \(K, M, G and T are "
                              r"powers of 1024\), or 0 for no limit",
    ("--max-memory", "lots"): r"argument --max-memory: 'lots' is not a size; use a number with a unit, such as 512M "
                              r"or 2G \(0: no limit\)",
    ("--max-memory", "100K"): r"argument --max-memory: '100K' is less than 1 MiB: a Python process needs more; use "
                              r"for example 512M \(0: no limit\)",
    ("--repeat", "x"): r"argument --repeat: 'x' is not a whole number",
    ("--repeat", "10001"): r"argument --repeat: '10001' is more than 10000 runs of each test; to keep trying longer, "
                           r"use --until-failure",
    ("--until-failure", "--bisect", "test_targets.TargetTests.test_first", "--seed", "1"):
        r"--until-failure and --bisect do not go together: find a failing seed with --until-failure first, then "
        r"give it to --bisect with --seed",
    ("--no-probes", "bogus", "."): r"unknown probe 'bogus' \(in --no-probes or disable_probes\); choose from: .+",
    ("",): r"target '' is not a directory, a \.py file or a dotted test id",
    ("test_targets..TargetTests",): r"target 'test_targets\.\.TargetTests' is not a directory, a \.py file or a "
                                    r"dotted test id",
    ("missing.py",): r"target 'missing\.py' does not exist: give a directory, a \.py file or a dotted test id",
    ("notes.txt",): r"target 'notes\.txt' is not a Python file: give a directory, a \.py file or a dotted test id",
    ("bad-name.py",): r"target 'bad-name\.py' cannot be imported: 'bad-name' is not a module name; rename the file "
                      r"to letters, digits and underscores",
    ("test_targts",): r"target 'test_targts' names no module that can be found from '.+'; did you mean "
                      r"'test_targets'\?",
    ("test_targets.TargetTest",): r"target 'test_targets\.TargetTest' was not found: 'test_targets' has no "
                                  r"attribute 'TargetTest'; did you mean 'TargetTests'\?",
    ("test_targets.Nothing",): r"target 'test_targets\.Nothing' was not found: 'test_targets' has no attribute "
                               r"'Nothing'; its test classes: TargetTests",
    ("test_targets.TargetTests.test_frist",): r"target 'test_targets\.TargetTests\.test_frist' was not found: class "
                                              r"'test_targets\.TargetTests' has no test 'test_frist'; did you mean "
                                              r"'test_first'\?",
    ("test_targets.TargetTests.helper",): r"target 'test_targets\.TargetTests\.helper' is not a test method: "
                                          r"unittest runs methods whose names start with 'test'; its tests: "
                                          r"test_first, test_second",
    ("test_targets.Settings",): r"target 'test_targets\.Settings' is a class, not a test: name a module, a "
                                r"TestCase class or one of its test methods",
    ("test_targets.build",): r"target 'test_targets\.build' is a function, not a test: name a module, a TestCase "
                             r"class or one of its test methods",
    ("test_targets.DECODER",): r"target 'test_targets\.DECODER' is a JSONDecoder object, not a test: name a "
                               r"module, a TestCase class or one of its test methods",
    ("unittest.TestCase",): r"target 'unittest\.TestCase' is unittest's base class, not a test class: name a "
                            r"subclass of it that has test methods",
    ("test_targets.TargetTests#2",): r"target 'test_targets\.TargetTests#2' names run #2 of a repeated test, but "
                                     r"--repeat is not given; add --repeat 2, or leave out '#2'",
    ("--repeat", "2", "test_targets.TargetTests#3"): r"target 'test_targets\.TargetTests#3' names run #3, but "
                                                     r"--repeat 2 runs #1 to #2",
    ("test_targets.TargetTests.test_first[trio]",): r"target 'test_targets\.TargetTests\.test_first\[trio\]': this "
                                                    r"test does not run on backend 'trio'",
}
if os.path.exists("/dev/null"):
    USAGE_ERRORS[("/dev/null",)] = (r"target '/dev/null' is neither a directory nor a file: give a directory, a \.py "
                                    r"file or a dotted test id")

# arguments -> the line on stderr; every one exits 5
NO_TESTS: dict[tuple[str, ...], str] = {
    ("no_tests",): "harness: no tests collected from no_tests",
    ("no_tests.py",): "harness: no tests collected from no_tests.py",
    ("..",): "harness: no tests collected from ..",
    ("-p", "nothing_*.py", "."): "harness: no tests collected from . (files matching 'nothing_*.py')",
}


class BadOptionsAndTargetsTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        started = {args: start(SAMPLE, targets=args, json_report=False) for args in [*USAGE_ERRORS, *NO_TESTS]}
        cls.runs = {args: run.result() for args, run in started.items()}

    def test_each_bad_option_value_or_target_is_one_line_and_exit_code_4(self):
        for args, message in USAGE_ERRORS.items():
            with self.subTest(args=args):
                run = self.runs[args]
                self.assertEqual(run.code, 4, run.describe())
                self.assertRegex(run.stderr, f"^harness: error: {message}\n$")
                self.assertEqual(run.stdout, "")

    def test_targets_that_are_not_tests_are_refused_without_running_their_code(self):
        for args in [("test_targets.Settings",), ("test_targets.build",), ("test_targets.TargetTests.helper",)]:
            with self.subTest(args=args):
                self.assertNotRegex(self.runs[args].stdout + self.runs[args].stderr, r"was (called|instantiated)")

    def test_targets_without_tests_exit_5_with_one_line(self):
        for args, line in NO_TESTS.items():
            with self.subTest(args=args):
                run = self.runs[args]
                self.assertEqual(run.code, 5, run.describe())
                self.assertEqual(run.stderr, line + "\n")
                self.assertEqual(run.stdout, "0 passed, 0 failed, 0 skipped\n")


class FileNamedLikeAModuleTests(unittest.TestCase):
    def test_a_dotted_id_is_loaded_as_a_name_even_where_a_file_of_that_name_exists(self):
        # as under unittest: a log a test wrote, named after the test module (seen as `test.test_compileall`)
        run = run_in_folder({"tests.test_one": b"{}", "tests/__init__.py": b""}, "tests.test_one", "--seed", "1")
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.stdout.splitlines()[-1], "1 passed, 0 failed, 0 skipped")

    def test_a_file_that_names_no_module_is_still_refused(self):
        run = run_in_folder({"notes.md": b"# notes\n"}, "notes.md")
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(run.stderr, "harness: error: target 'notes.md' is not a Python file: give a directory, a .py "
                                     "file or a dotted test id\n")


class ModulesThatRaiseOnImportTests(unittest.TestCase):
    """A named module that raises while being imported is a failing result, as in discovery, not a crash."""

    TARGETS = ("raises_on_import", "raises_on_import.NeverLoaded", "raises_on_import.py")

    @classmethod
    def setUpClass(cls):
        started = {target: start(SAMPLE, "--seed", "1", targets=(target,)) for target in cls.TARGETS}
        cls.runs = {target: run.result() for target, run in started.items()}

    def test_the_module_is_one_error_named_after_it(self):
        for target in self.TARGETS:
            with self.subTest(target=target):
                run = self.runs[target]
                self.assertEqual(run.code, 1, run.describe())
                self.assertEqual(run.outcomes, {"raises_on_import": "error"})
                self.assertNotIn("Traceback", run.stderr)

    def test_its_traceback_starts_in_the_module(self):
        for target in self.TARGETS:
            with self.subTest(target=target):
                longrepr = self.runs[target].tests["raises_on_import"]["longrepr"]
                self.assertIn("Failed to import test module: raises_on_import", longrepr)
                self.assertIn("ValueError: broken configuration in raises_on_import", longrepr)
                frames = re.findall(r'File "([^"]+)"', longrepr)
                self.assertEqual([os.path.basename(frame) for frame in frames], ["raises_on_import.py"], longrepr)


def run_in_folder(files: dict[str, bytes], *args: str) -> Run:
    """Run harness in a new folder holding `files` (and a passing test under tests/)."""
    with tempfile.TemporaryDirectory(prefix="harness-bad-input-") as folder:
        os.mkdir(os.path.join(folder, "tests"))
        files = {"tests/test_one.py": b"import unittest\n\n\nclass One(unittest.TestCase):\n    def test_one(self):\n"
                                      b"        pass\n", **files}
        for name, content in files.items():
            with open(os.path.join(folder, name), "wb") as file:
                file.write(content)
        done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=folder, env=environment(),
                              capture_output=True, text=True, timeout=TIMEOUT)
    return Run(args=args, code=done.returncode, stdout=done.stdout, stderr=done.stderr, elapsed=0.0)


# settings files -> the one line on stderr; every one exits 4
BAD_SETTINGS: dict[str, tuple[dict[str, bytes], str]] = {
    "key twice": ({"setup.cfg": b"[harness]\nseed = 1\nseed = 2\n"},
                  r"cannot read setup\.cfg: line 3: 'seed' is set twice in \[harness\]; keep one"),
    "section twice": ({"setup.cfg": b"[harness]\nseed = 1\n[harness]\nbucket = class\n"},
                      r"cannot read setup\.cfg: line 3: section \[harness\] appears twice; merge them into one"),
    "key before any section": ({"setup.cfg": b"seed = 1\n[harness]\n"},
                               r"cannot read setup\.cfg: line 1: 'seed = 1' comes before any \[section\]; put "
                               r"settings under \[harness\]"),
    "line without a value": ({"setup.cfg": b"[harness]\nstrict\n"},
                             r"cannot read setup\.cfg: line 2: 'strict' is neither 'key = value' nor a \[section\]"),
    "binary setup.cfg": ({"setup.cfg": b"[harness]\nseed = 1\n\xff\xfe\x00\x81garbage\n"},
                         r"cannot read setup\.cfg: byte 19 is not UTF-8 \(invalid start byte\); save it as UTF-8 "
                         r"text"),
    "binary pyproject.toml": ({"pyproject.toml": b"\x89PNG\r\n\x1a\n\x00\x00"},
                              r"cannot read pyproject\.toml: byte 0 is not UTF-8 \(invalid start byte\); save it as "
                              r"UTF-8 text"),
    "a list for a number": ({"pyproject.toml": b"[tool.harness]\nseed = [1, 2]\n"},
                            r"bad value for 'seed' in pyproject\.toml \[tool\.harness\]: \[1, 2\] is not a seed; use "
                            r"a whole number such as 12345"),
    "a float for a count": ({"pyproject.toml": b"[tool.harness]\ndurations = 5.5\n"},
                            r"bad value for 'durations' in pyproject\.toml \[tool\.harness\]: 5\.5 is not a whole "
                            r"number"),
    "a number for folders": ({"pyproject.toml": b"[tool.harness]\ntestpaths = 5\n"},
                             r"bad value for 'testpaths' in pyproject\.toml \[tool\.harness\]: 5 is not a list of "
                             r"names; write them as strings, such as \[\"tests\"\]"),
    "a table for a path": ({"pyproject.toml": b"[tool.harness]\njson = {a = 1}\n"},
                           r"bad value for 'json' in pyproject\.toml \[tool\.harness\]: \{'a': 1\} is not text; "
                           r"write it as a string in quotes"),
    "tool is not a table": ({"pyproject.toml": b"tool = 3\n"},
                            r"pyproject\.toml: 'tool' must be a table, not 3; write \[tool\.harness\] settings under "
                            r"a \[tool\.harness\] header"),
    "a path for a package to watch": ({"setup.cfg": b"[harness]\nwatch = mylib, src/mylib\n"},
                                      r"bad value for 'watch' in setup\.cfg \[harness\]: 'src/mylib' is not a package "
                                      r"name; give importable names such as mypackage or mypackage\.plugins, separated "
                                      r"by commas or spaces"),
    "repeat is command line only": ({"setup.cfg": b"[harness]\nrepeat = 3\n"},
                                    r"unknown setting 'repeat' in setup\.cfg \[harness\]; known settings: .+"),
}


class BadSettingsFilesTests(unittest.TestCase):
    def test_each_bad_settings_file_is_one_line_and_exit_code_4(self):
        for name, (files, message) in BAD_SETTINGS.items():
            with self.subTest(name):
                run = run_in_folder(files)
                self.assertEqual(run.code, 4, run.describe())
                self.assertRegex(run.stderr, f"^harness: error: {message}\n$")
                self.assertEqual(run.stdout, "")

    def test_a_byte_order_mark_at_the_start_of_a_settings_file_is_fine(self):
        for name, content in [("setup.cfg", b"\xef\xbb\xbf[harness]\nseed = 7\n"),
                              ("pyproject.toml", b"\xef\xbb\xbf[tool.harness]\nseed = 7\n")]:
            with self.subTest(name):
                run = run_in_folder({name: content}, "-q")
                self.assertEqual(run.code, 0, run.describe())
                self.assertIn("--seed 7", run.lines()[0])

    def test_a_module_with_a_syntax_error_named_as_a_target_is_a_failing_result(self):
        run = run_in_folder({"test_syntax.py": b"def broken(:\n"}, "-q", "test_syntax")
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("ERROR: test_syntax", run.stdout)
        self.assertIn("SyntaxError", run.stdout)
        self.assertEqual(run.stderr, "")


class ReportPathTests(unittest.TestCase):
    @unittest.skipUnless(hasattr(os, "mkfifo"), "needs named pipes")
    def test_a_report_path_that_is_not_a_regular_file_is_refused(self):
        """Writing a report renames a new file over its path: over /dev/null, as root, that would replace it."""
        with tempfile.TemporaryDirectory(prefix="harness-bad-input-") as folder:
            pipe = os.path.join(folder, "pipe")
            os.mkfifo(pipe)
            run = start(SAMPLE, "--json", pipe, targets=("test_targets",), json_report=False).result()
            self.assertTrue(os.path.exists(pipe) and not os.path.isfile(pipe))
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(run.stderr, f"harness: error: cannot write the JSON report to {pipe!r}: it is not a regular "
                                     "file (a device, a pipe or a socket); give a file path such as 'report.json'\n")


class NoShellTests(unittest.TestCase):
    def test_harness_never_starts_a_shell(self):
        """Test ids and targets reach other processes only as argv items, never through a shell."""
        folder = os.path.join(REPO, "harness")
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as file:
                    source = file.read()
                with self.subTest(name):
                    self.assertNotRegex(source, r"shell\s*=\s*True|os\.system\(|os\.popen\(|getoutput\(")
