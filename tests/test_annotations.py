"""GitHub Actions annotations, end to end: the workflow commands a run prints under GITHUB_ACTIONS=true."""
from __future__ import annotations

import re
import unittest

from harness.reports import github
from tests.support import REPO, line_of, start

SAMPLE_FILE = "tests/samples/annotations/test_annotated.py"  # relative to GITHUB_WORKSPACE, the repository
_COMMAND = re.compile(r"^::(?P<level>error|warning) (?P<properties>[^:]*)::(?P<message>.*)$")


def _commands(lines: list[str]) -> dict[str, dict[str, str]]:
    """The workflow commands among `lines`, by title: level, file, line and message."""
    found = {}
    for line in lines:
        match = _COMMAND.match(line)
        if match:
            properties = dict(part.split("=", 1) for part in match["properties"].split(","))
            found[properties.pop("title")] = {"level": match["level"], **properties, "message": match["message"]}
    return found


class AnnotationTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        on_actions = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": REPO}
        runs = {
            "actions": start("annotations", "--seed", "3", env=on_actions),
            "quiet": start("annotations", "--seed", "3", "-q", "-j", "2", env=on_actions),
            "plain": start("annotations", "--seed", "3"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}
        cls.commands = _commands(cls.runs["actions"].lines())

    def line(self, text):
        return str(line_of("annotations", "test_annotated.py", text))

    def test_a_failure_is_an_error_at_the_innermost_line_in_the_test_file(self):
        command = self.commands["test_annotated.AnnotatedTests.test_fails_in_a_helper failed"]
        self.assertEqual(command["level"], "error")
        self.assertEqual(command["file"], SAMPLE_FILE)
        self.assertEqual(command["line"], self.line("the failure's innermost frame"))
        self.assertIn("%0AAssertionError: '50%25' != 'a, b: c'%0A", command["message"])

    def test_an_error_message_has_percent_and_new_lines_escaped(self):
        command = self.commands["test_annotated.AnnotatedTests.test_errors_with_a_long_message raised an error"]
        self.assertEqual((command["file"], command["line"]), (SAMPLE_FILE, self.line('raise ValueError("100%')))
        self.assertTrue(command["message"].endswith("%0AValueError: 100%25 wrong%0Asecond line"), command["message"])

    def test_a_class_fixture_failure_is_an_error_at_its_line(self):
        command = self.commands["setUpClass (test_annotated.BrokenFixtureTests) raised an error"]
        self.assertEqual((command["file"], command["line"]), (SAMPLE_FILE, self.line("a class fixture's failure")))

    def test_a_leftover_task_is_a_warning_at_its_creation_site(self):
        command = self.commands["test_annotated.LeakyTests.test_leaves_a_task left a task running"]
        self.assertEqual(command["level"], "warning")
        self.assertEqual((command["file"], command["line"]), (SAMPLE_FILE, self.line("the task's creation site")))
        self.assertTrue(command["message"].endswith("%0Aawait or cancel it before the test returns"))

    def test_a_state_change_is_a_warning_at_the_test_definition(self):
        command = self.commands["test_annotated.AnnotatedTests.test_changes_the_environment changed global state"]
        self.assertEqual(command["level"], "warning")
        self.assertEqual((command["file"], command["line"]),
                         (SAMPLE_FILE, self.line("def test_changes_the_environment")))
        self.assertIn("os.environ['SAMPLE_ANNOTATED'] added ('1') (environ; restored)", command["message"])

    def test_only_what_failed_or_was_found_is_annotated(self):
        self.assertEqual(len(self.commands), 5, self.runs["actions"].describe())

    def test_annotations_come_before_the_closing_lines_and_the_summary_stays_last(self):
        for name in ("actions", "quiet"):
            with self.subTest(name):
                run = self.runs[name]
                lines = run.lines()
                self.assertEqual(run.code, 1, run.describe())
                self.assertEqual(lines[-1], "3 passed, 3 failed, 0 skipped")
                last_command = max(i for i, line in enumerate(lines) if line.startswith("::"))
                ran = next(i for i, line in enumerate(lines) if line.startswith("ran 6 tests"))
                self.assertLess(last_command, ran)
                self.assertEqual(len(_commands(lines)), 5)

    def test_without_github_actions_nothing_is_annotated(self):
        run = self.runs["plain"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertFalse([line for line in run.lines() if line.startswith("::")])


class EscapingTests(unittest.TestCase):
    def test_messages_escape_percent_and_line_breaks(self):
        self.assertEqual(github.escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d")

    def test_properties_also_escape_colons_and_commas(self):
        self.assertEqual(github.escape_property("a: b, 5%\n"), "a%3A b%2C 5%25%0A")

    def test_an_annotation_outside_the_repository_has_no_file(self):
        annotation = github.Annotation("error", "t failed", "boom", file="", line=0)
        self.assertEqual(annotation.command(), "::error title=t failed::boom")

    def test_paths_outside_the_root_are_left_out(self):
        annotator = github.Annotator("/work/project")
        self.assertEqual(annotator._place("/work/project/tests/test_x.py", 3), ("tests/test_x.py", 3))
        self.assertEqual(annotator._place("/usr/lib/python3.11/unittest/case.py", 3), ("", 0))
