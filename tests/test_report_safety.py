"""Reports that stay valid whatever the tests print, written atomically: control characters, bytes that are not
UTF-8, megabytes of output, and reports that cannot be written."""
from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from typing import Any
from unittest import mock

from harness.reports.files import write_atomically
from harness.reports.report_text import REPORT_LIMIT, TERMINAL_LIMIT, cut, escape, json_text, xml_text
from tests.support import SAMPLES, TIMEOUT, environment

MIB = 1024 * 1024
HUGE = "test_hostile.HugeOutputTests.test_prints_10_mb_then_fails"
QUIET_HUGE = "test_hostile.HugeOutputTests.test_prints_10_mb_and_passes"
CONTROL = "test_hostile.ControlCharacterTests.test_prints_control_characters_then_fails"
BYTES = "test_hostile.InvalidUtf8Tests.test_writes_invalid_utf8_bytes_then_fails"
SURROGATES = "test_hostile.InvalidUtf8Tests.test_prints_surrogateescape_strings_then_fails"


def note(total: int, limit: int) -> str:
    return f"\n[harness: {total - limit:,} characters cut from the middle of {total:,}]\n"


class _ReportRun:
    """`python -m harness --seed 1 SAMPLE` with both reports in a fresh folder; its bytes read, its folder listed.

    `old` is written to the JSON report's path first; `file_size_limit` caps the size of any file the run
    writes (RLIMIT_FSIZE: the write fails with EFBIG, which CPython gets as an OSError since it ignores SIGXFSZ).
    """

    def __init__(self, sample: str, *options: str, old: str | None = None, file_size_limit: int | None = None,
                 read_only: bool = False) -> None:
        with tempfile.TemporaryDirectory(prefix="harness-safety-") as folder:
            self.json_path, self.junit_path = os.path.join(folder, "report.json"), os.path.join(folder, "report.xml")
            if old is not None:
                with open(self.json_path, "w", encoding="utf-8") as file:
                    file.write(old)
            if read_only:
                os.chmod(folder, 0o555)
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "harness", "--seed", "1", *options, "--json", self.json_path,
                     "--junit-xml", self.junit_path, "."],
                    cwd=os.path.join(SAMPLES, sample), env=environment(), capture_output=True, timeout=TIMEOUT,
                    preexec_fn=None if file_size_limit is None else lambda: _limit_file_size(file_size_limit),
                )
            finally:
                os.chmod(folder, 0o755)
            self.code, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
            self.files = sorted(os.listdir(folder))
            self.json_bytes = _read(self.json_path)
            self.junit_bytes = _read(self.junit_path)

    def json(self) -> dict[str, Any]:
        assert self.json_bytes is not None, self.describe()
        return json.loads(self.json_bytes.decode("utf-8"))  # strict: the file must be valid UTF-8

    def tests(self) -> dict[str, dict[str, Any]]:
        return {entry["id"]: entry for entry in self.json()["tests"]}

    def junit(self) -> dict[str, ET.Element]:
        assert self.junit_bytes is not None, self.describe()
        root = ET.fromstring(self.junit_bytes)
        return {f"{case.get('classname')}.{case.get('name')}": case for case in root.iter("testcase")}

    def describe(self) -> str:
        return (f"exit code {self.code}, files {self.files}\n--- stdout (last 2,000 bytes)\n"
                f"{self.stdout[-2000:].decode('utf-8', 'replace')}--- stderr\n{self.stderr.decode('utf-8', 'replace')}")


def _limit_file_size(size: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def _read(path: str) -> bytes | None:
    if not os.path.exists(path):
        return None
    with open(path, "rb") as file:
        return file.read()


class HostileOutputTests(unittest.TestCase):
    """The hostile_output sample: control characters, bytes that are not UTF-8, 10 MiB of text; failing and passing."""

    @classmethod
    def setUpClass(cls):
        cls.run_ = _ReportRun("hostile_output")

    def test_the_run_finishes_with_its_summary_and_exit_code_1(self):
        self.assertEqual(self.run_.code, 1, self.run_.describe())
        self.assertEqual(self.run_.stderr, b"", self.run_.describe())
        self.assertEqual(self.run_.stdout.splitlines()[-1], b"2 passed, 4 failed, 0 skipped", self.run_.describe())

    def test_both_reports_are_written_and_no_temporary_file_is_left(self):
        self.assertEqual(self.run_.files, ["report.json", "report.xml"], self.run_.describe())

    def test_the_json_report_keeps_control_characters_as_json_escapes(self):
        entry = self.run_.tests()[CONTROL]
        self.assertEqual(entry["stdout"],
                         "nul \x00, red \x1b[31mred\x1b[0m, bell \x07, tab \t, noncharacter \ufffe end\n")
        self.assertEqual(entry["message"], "AssertionError: control characters in the message: \x00 \x1b[31m \x07")
        self.assertIn(rb'"nul \u0000, red \u001b[31mred', self.run_.json_bytes)

    def test_the_json_report_shows_bytes_that_are_not_utf8_as_escapes(self):
        tests = self.run_.tests()
        self.assertEqual(tests[BYTES]["stdout"], "before bytes|\\xff\\xfe not utf-8 \\xc3(|after bytes\n")
        self.assertEqual(tests[BYTES]["message"], "ValueError: \\xff\\xfe")
        self.assertEqual(tests[SURROGATES]["stdout"], "caf\\xe9 lone \\ud800 surrogate\n")
        self.assertEqual(tests[SURROGATES]["message"], "AssertionError: caf\\xe9")

    def test_the_junit_report_shows_what_xml_cannot_hold_as_escapes(self):
        cases = self.run_.junit()
        control = cases[CONTROL]
        self.assertEqual(control.findtext("system-out"),
                         "nul \\x00, red \\x1b[31mred\\x1b[0m, bell \\x07, tab \t, noncharacter \\ufffe end\n")
        self.assertEqual(control.findtext("system-err"), "stderr \\x0c form feed\n")
        self.assertEqual(control.find("failure").get("message"),
                         "AssertionError: control characters in the message: \\x00 \\x1b[31m \\x07")
        self.assertEqual(cases[BYTES].findtext("system-out"), "before bytes|\\xff\\xfe not utf-8 \\xc3(|after bytes\n")
        self.assertEqual(cases[BYTES].find("error").get("message"), "ValueError: \\xff\\xfe")
        self.assertEqual(cases[SURROGATES].findtext("system-out"), "caf\\xe9 lone \\ud800 surrogate\n")

    def test_10_mib_of_output_is_cut_in_the_middle_of_both_reports_with_a_note(self):
        half = REPORT_LIMIT // 2
        expected = {
            "stdout": "HEAD-OUT" + "." * (half - 8) + note(10 * MIB, REPORT_LIMIT) + "." * (half - 8) + "TAIL-OUT",
            "stderr": "HEAD-ERR" + "." * (half - 8) + note(10 * MIB, REPORT_LIMIT) + "." * (half - 8) + "TAIL-ERR",
        }
        self.assertIn("[harness: 9,437,184 characters cut from the middle of 10,485,760]", expected["stdout"])
        entry, case = self.run_.tests()[HUGE], self.run_.junit()[HUGE]
        for field, tag in (("stdout", "system-out"), ("stderr", "system-err")):
            with self.subTest(field):
                # assertTrue: a diff of two 1 MiB strings would drown the failure
                self.assertTrue(entry[field] == expected[field], f"{field} is cut otherwise: {entry[field][:80]!r}")
                self.assertTrue(case.findtext(tag) == expected[field], f"{tag} is not cut as expected")

    def test_a_huge_message_and_traceback_are_cut_with_their_own_counts(self):
        entry = self.run_.tests()[HUGE]
        for field in ("message", "longrepr"):
            with self.subTest(field):
                (found,) = re.findall(r"\[harness: ([\d,]+) characters cut from the middle of ([\d,]+)\]", entry[field])
                cut_count, total = (int(number.replace(",", "")) for number in found)
                self.assertEqual(cut_count, total - REPORT_LIMIT)
                self.assertGreater(total, 10 * MIB)
                self.assertEqual(len(entry[field]), REPORT_LIMIT + len(note(total, REPORT_LIMIT)))
        self.assertTrue(entry["message"].startswith("AssertionError: HEAD-MSG..."))
        self.assertTrue(entry["longrepr"].endswith("TAIL-MSG\n"))

    def test_a_passing_tests_output_is_cut_too(self):
        entry = self.run_.tests()[QUIET_HUGE]
        self.assertEqual(entry["outcome"], "passed")
        half = "x" * (REPORT_LIMIT // 2)
        self.assertTrue(entry["stdout"] == half + note(10 * MIB, REPORT_LIMIT) + half, entry["stdout"][-99:])

    def test_a_passing_test_printing_10_mib_stays_quick(self):
        self.assertLess(self.run_.tests()[QUIET_HUGE]["duration"], 2.0)  # quadratic building would take minutes

    def test_the_terminal_shows_huge_output_cut_to_the_smaller_limit(self):
        self.assertLess(len(self.run_.stdout), 8 * TERMINAL_LIMIT, "the terminal output is not cut")
        lines = self.run_.stdout.decode("utf-8").splitlines()  # strict: the output must be valid UTF-8
        self.assertEqual(lines.count(note(10 * MIB, TERMINAL_LIMIT).strip()), 2, self.run_.describe())  # stdout, stderr

    def test_the_terminal_shows_bytes_that_are_not_utf8_as_escapes(self):
        text = self.run_.stdout.decode("utf-8")
        self.assertIn("\nbefore bytes|\\xff\\xfe not utf-8 \\xc3(|after bytes\n", text)
        self.assertIn("\ncaf\\xe9 lone \\ud800 surrogate\n", text)
        self.assertIn("\nAssertionError: caf\\xe9\n", text)


class AtomicWriteTests(unittest.TestCase):
    """A report that cannot be written leaves the previous one whole, and no temporary file."""

    def test_a_write_that_fails_midway_leaves_the_old_report_intact(self):
        # 5 MiB of reports against a 1 MiB cap on file sizes: written in place, the JSON report would be cut short
        run = _ReportRun("hostile_output", "-q", old='{"old": true}\n', file_size_limit=MIB)
        self.assertEqual(run.code, 3, run.describe())
        self.assertRegex(
            run.stderr.decode(),
            r"^harness: error: could not write the JSON report to '[^']+/report\.json': \[Errno \d+\] File too "
            r"large; check that its folder can be written, or give another path\n"
            r"harness: error: could not write the JUnit XML report to '[^']+/report\.xml': \[Errno \d+\] File too "
            r"large; check that its folder can be written, or give another path\n$",
        )
        self.assertEqual(run.json(), {"old": True})
        self.assertEqual(run.files, ["report.json"])

    @unittest.skipIf(os.geteuid() == 0, "root writes into a read-only folder all the same")
    def test_a_read_only_folder_leaves_the_old_report_intact(self):
        run = _ReportRun("mixed", "-q", old='{"old": true}\n', read_only=True)
        self.assertEqual(run.code, 3, run.describe())
        self.assertRegex(run.stderr.decode(),
                         r"^harness: error: could not write the JSON report to .*Permission denied")
        self.assertEqual(run.json(), {"old": True})
        self.assertEqual(run.files, ["report.json"])

    def test_an_existing_report_is_replaced_by_a_temporary_file_beside_it(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "report.json")
            write_atomically(path, "old")
            renames = []
            real_replace = os.replace

            def replace(source: str, destination: str) -> None:
                renames.append((os.path.basename(source), os.path.basename(destination)))
                real_replace(source, destination)

            with mock.patch("os.replace", replace):
                write_atomically(path, "new")
            with open(path, encoding="utf-8") as file:
                self.assertEqual(file.read(), "new")
        ((temporary, destination),) = renames
        self.assertRegex(temporary, r"^\.report\.json\.\w+\.tmp$")
        self.assertEqual(destination, "report.json")

    def test_an_error_after_the_text_is_written_removes_the_temporary_file(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "report.json")
            write_atomically(path, "old")
            with mock.patch("os.fsync", side_effect=OSError(5, "Input/output error")), self.assertRaises(OSError):
                write_atomically(path, "new")
            self.assertEqual(os.listdir(folder), ["report.json"])
            with open(path, encoding="utf-8") as file:
                self.assertEqual(file.read(), "old")


class ReportTextTests(unittest.TestCase):
    """The pure parts: the cut, the escapes."""

    def test_short_text_is_not_cut(self):
        self.assertEqual(cut("abcdef", 6), "abcdef")

    def test_long_text_keeps_its_head_and_tail_around_the_note(self):
        self.assertEqual(cut("0123456789", 4), "01\n[harness: 6 characters cut from the middle of 10]\n89")
        self.assertEqual(cut("0123456789", 5), "01\n[harness: 5 characters cut from the middle of 10]\n789")

    def test_counts_have_thousands_separators(self):
        self.assertIn("[harness: 9,437,184 characters cut from the middle of 10,485,760]", cut("." * 10 * MIB, MIB))

    def test_escapes_name_the_character_or_the_byte_surrogateescape_kept(self):
        cases = {"\x00": "\\x00", "\x1b": "\\x1b", "\x7f": "\\x7f", "\ufffe": "\\ufffe", "\ud800": "\\ud800",
                 b"\xff".decode("utf-8", "surrogateescape"): "\\xff"}
        for char, expected in cases.items():
            with self.subTest(char=char):
                self.assertEqual(escape(char), expected)

    def test_xml_text_keeps_tabs_newlines_and_unicode(self):
        self.assertEqual(xml_text("a\tb\nc\r\u00e9\U0001f600\x1b\uffff"), "a\tb\nc\r\u00e9\U0001f600\\x1b\\uffff")

    def test_json_text_escapes_surrogates_as_backslash_text(self):
        document = json.dumps({"out": "caf" + b"\xe9".decode("utf-8", "surrogateescape")}, ensure_ascii=False)
        self.assertEqual(json.loads(json_text(document).encode("utf-8")), {"out": "caf\\xe9"})
