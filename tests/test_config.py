"""harness.run.config, in process: value parsers, settings files, and the messages for bad ones."""
from __future__ import annotations

import os
import tempfile
import unittest

from harness.run import config
from harness.run.config import Config, UsageError


class ValueTests(unittest.TestCase):
    def test_values_parse_to_their_types(self):
        self.assertEqual(config.parse_seed(" 42 "), 42)
        self.assertEqual(config.parse_bucket("global"), "global")
        self.assertEqual(config.parse_seconds("0.5"), 0.5)
        self.assertEqual(config.parse_paths("tests, more_tests other"), ("tests", "more_tests", "other"))
        self.assertEqual(config.parse_paths(["a", "b"]), ("a", "b"))
        self.assertEqual([config.parse_bool(v) for v in ("yes", "On", "1", "false", "no", "0")],
                         [True, True, True, False, False, False])
        self.assertEqual(config.parse_verbosity("5"), 2)
        self.assertEqual(config.parse_seed(2**64 - 1), 2**64 - 1)
        self.assertEqual(config.parse_repeat(" 3 "), 3)
        self.assertEqual(config.parse_seconds(2), 2.0)
        self.assertEqual(config.parse_backend(" trio "), "trio")

    def test_bad_values_say_what_to_use_instead(self):
        cases = [
            (config.parse_seed, "abc", r"^'abc' is not a seed; use a whole number such as 12345$"),
            (config.parse_seed, "-3", r"^'-3' is negative; use a whole number from 0 up$"),
            (config.parse_bucket, "nope", r"^unknown bucket 'nope'; choose one of: module, class, global, none$"),
            (config.parse_seconds, "inf", r"^'inf' must be a positive number of seconds$"),
            (config.parse_seconds, "soon", r"^'soon' is not a number of seconds$"),
            (config.parse_bool, "maybe", r"^'maybe' is not a boolean; use true or false$"),
            (config.parse_count, "x", r"^'x' is not a whole number$"),
            (config.parse_count, 2.5, r"^2\.5 is not a whole number$"),
            (config.parse_seed, True, r"^True is not a seed; use a whole number such as 12345$"),
            (config.parse_seed, 2**64, r"^18446744073709551616 is too big for a seed; use a whole number from 0 to "
                                       r"18446744073709551615$"),
            (config.parse_seconds, [1], r"^\[1\] is not a number of seconds$"),
            (config.parse_repeat, "0", r"^'0' is too small; use 1 or more$"),
            (config.parse_repeat, 10_001, r"^10001 is more than 10000 runs of each test; to keep trying longer, use "
                                          r"--until-failure$"),
            (config.parse_paths, ["a", 1], r"^\['a', 1\] is not a list of names; write them as strings"),
            (config.parse_text, 3, r"^3 is not text; write it as a string in quotes$"),
            (config.parse_path, "  ", r"^the path is empty; give a file path such as 'report\.json'$"),
            (config.parse_pattern, "", r"^the pattern is empty; give one such as 'test\*\.py'$"),
            (config.parse_keyword, "", r"^the pattern is empty, so it matches every test"),
            (config.parse_backend, "trio2", r"^unknown backend 'trio2'; choose one of: asyncio, trio, "
                                            r"asyncio\+uvloop$"),
            (config.parse_backend, ["trio", {}], r"^\['trio', \{\}\] is not a backend name; give one of: asyncio, "
                                                 r"trio, asyncio\+uvloop \(backend options go on a class: "),
        ]
        for parse, value, message in cases:
            with self.subTest(parse=parse.__name__, value=value):
                with self.assertRaisesRegex(ValueError, message):
                    parse(value)


class SettingsFileTests(unittest.TestCase):
    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.root = folder.name

    def write(self, name: str, text: str) -> None:
        with open(os.path.join(self.root, name), "w", encoding="utf-8") as file:
            file.write(text)

    def test_no_settings_file_gives_the_defaults(self):
        self.assertEqual(config.read_files(self.root), Config())

    def test_setup_cfg_harness_section_applies(self):
        self.write("setup.cfg", "[metadata]\nname = x\n\n[harness]\ntestpaths = a b\nseed = 3\nteardown-timeout = 2\n")
        self.assertEqual(config.read_files(self.root), Config(testpaths=("a", "b"), seed=3, teardown_timeout=2.0))

    def test_setup_cfg_without_a_harness_section_gives_the_defaults(self):
        self.write("setup.cfg", "[metadata]\nname = x\n")
        self.assertEqual(config.read_files(self.root), Config())

    def test_pyproject_tool_harness_table_applies(self):
        self.write("pyproject.toml", '[tool.harness]\ntestpaths = ["t"]\nstrict = true\nbucket = "class"\n')
        self.assertEqual(config.read_files(self.root), Config(testpaths=("t",), strict=True, bucket="class"))

    def test_testpaths_say_where_they_came_from(self):
        self.assertIsNone(config.read_files(self.root).testpaths_source)
        self.write("setup.cfg", "[harness]\nseed = 3\n")
        self.assertIsNone(config.read_files(self.root).testpaths_source)
        self.write("setup.cfg", "[harness]\ntestpaths = checks\n")
        self.assertEqual(config.read_files(self.root).testpaths_source, "setup.cfg [harness]")
        os.remove(os.path.join(self.root, "setup.cfg"))
        self.write("pyproject.toml", '[tool.harness]\ntestpaths = ["t"]\n')
        self.assertEqual(config.read_files(self.root).testpaths_source, "pyproject.toml [tool.harness]")

    def test_unknown_key_names_the_key_the_file_and_the_known_keys(self):
        self.write("setup.cfg", "[harness]\ncolour = always\n")
        with self.assertRaisesRegex(
            UsageError, r"^unknown setting 'colour' in setup\.cfg \[harness\]; known settings: testpaths, pattern, "
        ):
            config.read_files(self.root)

    def test_bad_value_names_the_key_and_the_file(self):
        self.write("pyproject.toml", '[tool.harness]\nbucket = "nope"\n')
        with self.assertRaisesRegex(
            UsageError, r"^bad value for 'bucket' in pyproject\.toml \[tool\.harness\]: unknown bucket 'nope'; "
            r"choose one of: module, class, global, none$"
        ):
            config.read_files(self.root)

    def test_failure_settings_apply_and_refuse_bad_values(self):
        self.write("pyproject.toml", '[tool.harness]\nmaxfail = 3\ntb = "line"\ntb_locals = true\n')
        found = config.read_files(self.root)
        self.assertEqual((found.maxfail, found.tb, found.tb_locals), (3, "line", True))
        for text, message in (
            ("maxfail = 0", r"^bad value for 'maxfail' in pyproject\.toml \[tool\.harness\]: 0 would stop the run "
                            r"before any test; use 1 or more \(1 is the same as -x\), or leave it out to run every "
                            r"test$"),
            ('tb = "wide"', r"^bad value for 'tb' in pyproject\.toml \[tool\.harness\]: unknown traceback form "
                            r"'wide'; choose one of: long, short, line, no$"),
            ('pdb = true', r"^unknown setting 'pdb' in pyproject\.toml \[tool\.harness\]"),
            ('collect_only = true', r"^unknown setting 'collect_only' in pyproject\.toml \[tool\.harness\]"),
        ):
            self.write("pyproject.toml", f"[tool.harness]\n{text}\n")
            with self.assertRaisesRegex(UsageError, message):
                config.read_files(self.root)

    def test_max_memory_takes_a_size_with_a_unit(self):
        self.write("setup.cfg", "[harness]\nmax_memory = 1.5G\n")
        self.assertEqual(config.read_files(self.root).max_memory, 3 << 29)
        self.write("setup.cfg", "[harness]\nmax-memory = 512MiB\n")
        self.assertEqual(config.read_files(self.root).max_memory, 512 << 20)
        self.write("pyproject.toml", '[tool.harness]\nmax_memory = "2g"\n')
        os.remove(os.path.join(self.root, "setup.cfg"))
        self.assertEqual(config.read_files(self.root).max_memory, 2 << 30)
        self.write("pyproject.toml", "[tool.harness]\nmax_memory = 0\n")
        self.assertEqual(config.read_files(self.root).max_memory, 0)
        self.write("pyproject.toml", '[tool.harness]\nmax_memory = "2X"\n')
        with self.assertRaisesRegex(
            UsageError, r"^bad value for 'max_memory' in pyproject\.toml \[tool\.harness\]: '2X' is not a size; use a "
            r"number with a unit, such as 512M or 2G \(0: no limit\)$"
        ):
            config.read_files(self.root)

    def test_a_backend_setting_takes_a_name_only(self):
        self.write("setup.cfg", "[harness]\nbackend = trio\n")
        self.assertEqual(config.read_files(self.root).backend, "trio")
        self.write("setup.cfg", "[harness]\nbackend = curio\n")
        with self.assertRaisesRegex(
            UsageError, r"^bad value for 'backend' in setup\.cfg \[harness\]: unknown backend 'curio'; choose one of: "
            r"asyncio, trio, asyncio\+uvloop$"
        ):
            config.read_files(self.root)

    def test_the_backend_names_are_the_backends(self):
        from harness.testcase.backends import BACKENDS

        self.assertEqual(config.BACKEND_NAMES, BACKENDS)

    def test_settings_in_both_files_is_an_error(self):
        self.write("setup.cfg", "[harness]\nseed = 1\n")
        self.write("pyproject.toml", "[tool.harness]\nseed = 2\n")
        with self.assertRaisesRegex(UsageError, r"^harness settings found in both setup\.cfg \[harness\] and "
                                                r"pyproject\.toml \[tool\.harness\]; keep one$"):
            config.read_files(self.root)

    def test_unreadable_pyproject_is_a_usage_error(self):
        self.write("pyproject.toml", "[tool.harness\n")
        with self.assertRaisesRegex(UsageError, r"^cannot read pyproject\.toml: "):
            config.read_files(self.root)


class FailureSettingsRunTests(unittest.TestCase):
    def test_maxfail_tb_and_tb_locals_in_setup_cfg_shape_a_run_and_the_command_line_wins(self):
        from tests.support import start

        runs = {"file": start("failure_settings", "--seed", "1"),
                "flag": start("failure_settings", "--seed", "1", "--tb", "long", "--maxfail", "3")}
        file, flag = runs["file"].result(), runs["flag"].result()
        self.assertEqual(len(file.outcomes), 2, file.describe())
        self.assertIn("stopped after 2 failures", file.stdout)
        self.assertRegex(file.stdout, r"\ntest_three_failures\.py:\d+ in test_\w: self\.assertEqual\(value, "
                                      r"\"\w\"\)\n    self = <[^\n]*>\n    value = '\w'\n")
        self.assertEqual(len(flag.outcomes), 3, flag.describe())
        self.assertIn("Traceback (most recent call last):", flag.stdout)
        self.assertIn("    value = '", flag.stdout, "tb_locals still applies")
