"""Coverage: --coverage, its reports and --coverage-contexts, serial, under -j 2, across a crash and an interrupt."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

import coverage

from harness import cli
from harness.run import config
from tests.support import IN_PROCESS, REPO, SAMPLES, TIMEOUT, Run, environment, line_of, start

SAMPLE = "coverage_pkg"
OPS = os.path.realpath(os.path.join(SAMPLES, SAMPLE, "calc", "ops.py"))
ADD = "test_calc.CalcTests.test_add"
NOTHING = "test_calc.CalcTests.test_nothing"
TASK = "test_tasks.TaskTests.test_task"
BEFORE = "test_crash.CrashTests.test_before_the_crash"
CRASH = "test_crash.CrashTests.test_crash"
WAITS = "test_waits.WaitTests.test_waits"
CALC_AND_TASKS = ("test_calc.py", "test_tasks.py")
WAITS_TARGETS = ("test_calc.py", "test_waits.py")
CONTEXTS_ON_THE_SUMMARY = ("; each line is recorded under the ids of the tests that ran it "
                           "(coverage html --show-contexts)")


def _line(text: str) -> int:
    return line_of(SAMPLE, os.path.join("calc", "ops.py"), text)


def _section(run: Run) -> list[str]:
    """The lines of the coverage section: after its rule, up to the blank line before the summary."""
    lines = run.lines()
    first = lines.index(" coverage ".center(100, "=")) + 1
    return lines[first:lines.index("", first)]


class _Measured(unittest.TestCase):
    """A run of the sample whose coverage data goes to a folder of its own (COVERAGE_FILE)."""

    options: tuple[str, ...] = ()
    targets: tuple[str, ...] = CALC_AND_TASKS
    env: dict[str, str] = {}  # noqa: RUF012 (read only)

    @classmethod
    def setUpClass(cls):
        folder = tempfile.TemporaryDirectory(prefix="harness-coverage-")
        cls.addClassCleanup(folder.cleanup)
        cls.folder = folder.name
        cls.data_file = os.path.join(cls.folder, ".coverage")
        options = tuple(option.replace("{folder}", cls.folder) for option in cls.options)
        env = {"COVERAGE_FILE": cls.data_file, **cls.env}
        cls.measured = start(SAMPLE, *options, targets=cls.targets, env=env).result()

    def data(self) -> coverage.CoverageData:
        data = coverage.CoverageData(self.data_file)
        data.read()
        return data

    def contexts_of(self, text: str) -> set[str]:
        """The contexts of the line of calc/ops.py holding `text`."""
        return set(self.data().contexts_by_lineno(OPS).get(_line(text), []))


class SerialContextsTests(_Measured):
    options = ("--seed", "1", "--coverage-contexts", "--coverage-report", "term-missing",
               "--coverage-report", "xml:{folder}/coverage.xml", "--coverage-report", "html:{folder}/html")

    def test_the_table_comes_before_the_summary_and_honours_setup_cfg(self):
        self.assertEqual(self.measured.code, 0, self.measured.describe())
        self.assertEqual(self.measured.lines()[-1], "3 passed, 0 failed, 0 skipped")
        section = _section(self.measured)
        self.assertRegex(section[0], r"^Name +Stmts +Miss +Branch +BrPart +Cover +Missing$")
        missing = ", ".join(str(_line(text)) for text in ("run by CrashTests", "run by WaitTests", "no test runs"))
        row = next(line for line in section if line.startswith("calc/ops.py"))
        self.assertRegex(row, rf"^calc/ops\.py +15 +3 +0 +0 +80\.0% +{missing}$")  # precision = 1 from setup.cfg
        self.assertNotIn("skipped.py", self.measured.stdout)  # [coverage:run] omit in setup.cfg
        self.assertTrue(any(line.startswith("TOTAL") for line in section), section)

    def test_each_line_is_recorded_under_the_test_that_ran_it(self):
        self.assertEqual(self.contexts_of("run by CalcTests.test_add only"), {ADD})
        self.assertEqual(self.contexts_of("run by CalcTests.setUp"), {ADD, NOTHING})
        self.assertEqual(self.contexts_of("run by CalcTests.tearDown"), {ADD, NOTHING})
        self.assertEqual(self.contexts_of("run by a task that TaskTests.test_task started"), {TASK})
        self.assertEqual(self.contexts_of("no test runs this"), set())
        self.assertEqual(self.data().measured_contexts(), {"", ADD, NOTHING, TASK})

    def test_lines_run_at_import_are_measured_outside_any_test(self):
        self.assertEqual(self.contexts_of("IMPORTED = True"), {""})

    def test_harness_own_code_is_left_out(self):
        ours = os.path.join(os.path.realpath(REPO), "harness") + os.sep
        self.assertEqual([path for path in self.data().measured_files() if path.startswith(ours)], [])
        rows = [line.split(" ")[0] for line in _section(self.measured)]
        self.assertEqual([row for row in rows if "harness" in row], [], _section(self.measured))

    def test_the_file_reports_are_written_and_named(self):
        xml = os.path.join(self.folder, "coverage.xml")
        names = {element.get("filename") for element in ET.parse(xml).getroot().iter("class")}
        self.assertIn("calc/ops.py", names)
        self.assertTrue(os.path.exists(os.path.join(self.folder, "html", "index.html")))
        section = _section(self.measured)
        self.assertIn(f"coverage HTML report: {os.path.join(self.folder, 'html', 'index.html')}", section)
        self.assertIn(f"coverage XML report: {xml}", section)

    def test_the_per_process_data_files_are_combined_into_one(self):
        self.assertEqual(sorted(os.listdir(self.folder)), [".coverage", "coverage.xml", "html"])
        self.assertEqual(_section(self.measured)[-1],
                         f"coverage data: {self.data_file}, combined from 1 process{CONTEXTS_ON_THE_SUMMARY}")


class ParallelContextsTests(_Measured):
    options = ("-j", "2", "--seed", "1", "--coverage-contexts")

    def test_both_workers_data_is_combined(self):
        self.assertEqual(self.measured.code, 0, self.measured.describe())
        self.assertEqual(len(self.measured.report["workers"]), 2, self.measured.report["workers"])
        self.assertEqual(self.data().measured_contexts(), {"", ADD, NOTHING, TASK})
        self.assertEqual(self.contexts_of("run by CalcTests.test_add only"), {ADD})
        self.assertEqual(self.contexts_of("run by a task that TaskTests.test_task started"), {TASK})
        self.assertEqual(self.contexts_of("IMPORTED = True"), {""})
        self.assertEqual(_section(self.measured)[-1],
                         f"coverage data: {self.data_file}, combined from 2 processes{CONTEXTS_ON_THE_SUMMARY}")
        self.assertEqual(self.measured.lines()[-1], "3 passed, 0 failed, 0 skipped")


class CrashTests(_Measured):
    """Seed 3 puts test_task before the crash in one worker, and test_before_the_crash after it (a new worker)."""

    options = ("-j", "2", "--seed", "3", "--coverage-contexts")
    targets = (*CALC_AND_TASKS, "test_crash.py")

    def test_a_crash_loses_no_other_tests_data(self):
        self.assertEqual(self.measured.code, 1, self.measured.describe())
        self.assertEqual(self.measured.outcomes[CRASH], "error")
        self.assertTrue(self.measured.test(CRASH)["message"].startswith("crashed"), self.measured.describe())
        lane = next(lane for lane in self.measured.report["workers"] if CRASH in lane)
        self.assertEqual(lane, [TASK, CRASH, BEFORE])
        self.assertLessEqual({"", ADD, NOTHING, TASK, BEFORE}, self.data().measured_contexts())
        self.assertEqual(self.contexts_of("run by CrashTests.test_before_the_crash"), {BEFORE})
        self.assertEqual(self.contexts_of("run by a task that TaskTests.test_task started"), {TASK})
        self.assertIn(f"coverage data: {self.data_file}, combined from 3 processes{CONTEXTS_ON_THE_SUMMARY}",
                      _section(self.measured))
        self.assertEqual(self.measured.lines()[-1], "4 passed, 1 failed, 0 skipped")


class PlainCoverageTests(_Measured):
    options = ("--coverage", "-q")

    def test_the_terminal_table_follows_the_coverage_configuration(self):
        self.assertEqual(self.measured.code, 0, self.measured.describe())
        section = _section(self.measured)
        self.assertRegex(section[0], r"^Name +Stmts +Miss +Branch +BrPart +Cover$")  # no show_missing in setup.cfg
        self.assertTrue(any(re.match(r"^calc/ops\.py +15 +3 +0 +0 +80\.0%$", line) for line in section), section)
        self.assertEqual(section[-1], f"coverage data: {self.data_file}, combined from 1 process")
        self.assertEqual(self.measured.lines()[-1], "3 passed, 0 failed, 0 skipped")

    def test_without_contexts_every_line_is_in_the_empty_context(self):
        self.assertEqual(self.data().measured_contexts(), {""})
        self.assertIn(_line("run by CalcTests.test_add only"), self.data().lines(OPS))


class InProcessTests(_Measured):
    """A thread in the runner makes it run the tests itself: one process measures everything, as a worker would."""

    options = ("--seed", "1", "--coverage-contexts")
    env = IN_PROCESS

    def test_contexts_are_recorded_in_the_runner_too(self):
        self.assertEqual(self.measured.code, 0, self.measured.describe())
        self.assertIn("harness: note: running in this process", self.measured.stderr)
        self.assertEqual(self.data().measured_contexts(), {"", ADD, NOTHING, TASK})
        self.assertEqual(self.contexts_of("run by CalcTests.test_add only"), {ADD})
        self.assertEqual(self.contexts_of("IMPORTED = True"), {""})
        self.assertIn(f"coverage data: {self.data_file}, combined from 1 process{CONTEXTS_ON_THE_SUMMARY}",
                      _section(self.measured))


@unittest.skipUnless(sys.version_info >= (3, 12), "sys.monitoring, and coverage's sysmon core, came with 3.12")
class SysmonCoreTests(_Measured):
    """COVERAGE_CORE=sysmon (the default core from 3.14) records a line once, under the first test that runs it:
    with contexts asked for, harness measures with the C tracer instead."""

    options = ("--seed", "1", "--coverage-contexts")
    targets = ("test_calc.py",)

    @classmethod
    def setUpClass(cls):
        folder = tempfile.TemporaryDirectory(prefix="harness-coverage-rc-")
        cls.addClassCleanup(folder.cleanup)
        rcfile = os.path.join(folder.name, "coveragerc")
        with open(rcfile, "w", encoding="utf-8") as file:
            file.write("[run]\nomit = calc/skipped.py\n")  # without branch = true, which 3.12 and 3.13 sysmon refuse
        cls.env = {"COVERAGE_CORE": "sysmon", "COVERAGE_RCFILE": rcfile}
        super().setUpClass()

    def test_a_line_two_tests_run_carries_both_ids(self):
        self.assertEqual(self.measured.code, 0, self.measured.describe())
        self.assertEqual(self.contexts_of("run by CalcTests.setUp"), {ADD, NOTHING})
        self.assertNotIn("sysmon", self.measured.stderr)


class InterruptTests(unittest.TestCase):
    """Seed 4 runs test_calc's two tests, then test_waits, which waits until Ctrl-C (twice) stops it."""

    def test_an_interrupted_run_still_combines_and_reports(self):
        with tempfile.TemporaryDirectory(prefix="harness-coverage-") as folder:
            data_file, marker = os.path.join(folder, ".coverage"), os.path.join(folder, "started")
            process = subprocess.Popen(
                [sys.executable, "-m", "harness", "--seed", "4", "--coverage-contexts", *WAITS_TARGETS],
                cwd=os.path.join(SAMPLES, SAMPLE), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=environment({"COVERAGE_FILE": data_file, "COVERAGE_SAMPLE_MARKER": marker}),
                start_new_session=True,
            )
            deadline = time.monotonic() + TIMEOUT
            while not os.path.exists(marker) and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.01)
            for _ in range(2):  # Ctrl-C twice: the waiting test is stopped at once
                os.killpg(process.pid, signal.SIGINT)
                time.sleep(0.1)
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            data = coverage.CoverageData(data_file)
            data.read()
            self.assertEqual(process.returncode, 2, stdout + stderr)
            self.assertIn(" coverage ".center(100, "="), stdout)
            self.assertEqual(data.measured_contexts(), {"", ADD, NOTHING, WAITS})
            self.assertEqual(set(data.contexts_by_lineno(OPS)[_line("run by WaitTests.test_waits")]), {WAITS})
            self.assertEqual([name for name in os.listdir(folder) if name.startswith(".coverage.")], [])
            self.assertNotIn("Traceback", stderr)


class BadInputTests(unittest.TestCase):
    def test_an_unknown_report_kind_is_a_one_line_usage_error(self):
        run = start(SAMPLE, "--coverage-report", "pdf", targets=CALC_AND_TASKS, json_report=False).result()
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: argument --coverage-report: unknown coverage report 'pdf'; "
                                     r"choose one of: term, term-missing, html, xml, json \(html, xml and json take a "
                                     r"path after a colon, as in xml:reports/coverage\.xml\)\n$")

    def test_a_bad_coverage_configuration_is_a_one_line_usage_error(self):
        with tempfile.TemporaryDirectory(prefix="harness-coverage-") as folder:
            rcfile = os.path.join(folder, "bad.rc")
            with open(rcfile, "w", encoding="utf-8") as file:
                file.write("[run]\nbranch = maybe\n")
            run = start(SAMPLE, "--coverage", targets=CALC_AND_TASKS, json_report=False,
                        env={"COVERAGE_RCFILE": rcfile, "COVERAGE_FILE": os.path.join(folder, ".coverage")}).result()
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: cannot use the coverage configuration: Couldn't read config "
                                     r"file .*bad\.rc: Not a boolean: maybe; fix it in \.coveragerc, setup\.cfg "
                                     r"\[coverage:\*\], .+\n$")

    def test_an_html_folder_that_is_a_file_is_refused_before_the_run(self):
        with tempfile.TemporaryDirectory(prefix="harness-coverage-") as folder:
            taken = os.path.join(folder, "taken")
            with open(taken, "w", encoding="utf-8"):
                pass
            run = start(SAMPLE, "--coverage-report", f"html:{taken}", targets=CALC_AND_TASKS,
                        json_report=False).result()
        self.assertEqual(run.code, 4, run.describe())
        self.assertEqual(run.stderr, f"harness: error: cannot write the coverage html report to {taken!r}: it is a "
                                     "file, not a folder; give a folder such as 'htmlcov'\n")

    def test_an_html_report_that_cannot_be_written_exits_3_after_the_summary(self):
        with tempfile.TemporaryDirectory(prefix="harness-coverage-") as folder:
            html = os.path.join(folder, "html")
            os.makedirs(os.path.join(html, "status.json"))  # a folder where coverage writes a file
            run = start(SAMPLE, "--coverage-report", f"html:{html}", "--coverage-report", "term",
                        targets=CALC_AND_TASKS, env={"COVERAGE_FILE": os.path.join(folder, ".coverage")}).result()
        self.assertEqual(run.code, 3, run.describe())
        self.assertEqual(run.lines()[-1], "3 passed, 0 failed, 0 skipped")
        self.assertTrue(any(line.startswith("calc/ops.py") for line in _section(run)), run.describe())  # still shown
        self.assertRegex(run.stderr, r"^harness: error: could not write the coverage html report to "
                                     rf"{re.escape(repr(html))}: .*status\.json.*; check that its folder can be "
                                     r"written, or give another path\n$")


class NoTestsTests(unittest.TestCase):
    def test_a_run_with_no_tests_leaves_no_data_files(self):
        with tempfile.TemporaryDirectory(prefix="harness-coverage-") as folder:
            run = start(SAMPLE, "--coverage", "-k", "no_such_test", targets=CALC_AND_TASKS, json_report=False,
                        env={"COVERAGE_FILE": os.path.join(folder, ".coverage")}).result()
            self.assertEqual(run.code, 5, run.describe())
            self.assertEqual(os.listdir(folder), [])
        self.assertEqual(run.stdout, "0 passed, 0 failed, 0 skipped\n")


class SettingsTests(unittest.TestCase):
    def test_the_settings_file_can_turn_coverage_on(self):
        read = config.apply(config.Config(), {"coverage": "true", "coverage_reports": "term-missing, xml:c.xml",
                                              "coverage-contexts": "yes"}, "setup.cfg [harness]")
        self.assertEqual((read.coverage, read.coverage_reports, read.coverage_contexts),
                         (True, ("term-missing", "xml:c.xml"), True))

    def test_the_options_go_back_to_the_command_line(self):
        options = {"coverage": True, "coverage_reports": ("html:-odd", "term"), "coverage_contexts": True}
        self.assertEqual(cli.given(cli.to_argv(options)), options)
