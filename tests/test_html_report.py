"""The HTML report, end to end: a -j 2 run of a sample with failures and findings, its page parsed, and rendered
in a headless Chromium when one is installed; then a page of 10,000 tests, for its size."""
from __future__ import annotations

import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Any

from harness import cli
from harness.reports.html_assets import SCRIPT, STYLE
from harness.reports.html_report import FULL_LIMIT, page, script_json
from harness.reports.records import Findings, ResidualTask, RunPlan, StateChange, Summary, TestReport
from harness.run import config
from harness.run.config import Config
from tests.support import SAMPLES, TIMEOUT, environment, start

FAILING = "test_outcomes.OutcomeTests.test_fails_with_markup"
LEAKY = "test_findings.LeakyTests.test_leaves_a_task_running"
POLLUTER = "test_findings.EnvironTests.test_sets_a_variable"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chromium-headless-shell")


class Page(html.parser.HTMLParser):
    """What a page holds: the text of each element with an id, every attribute, the scripts, the page's data."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: dict[str, list[str]] = {}  # element id -> text inside it
        self.attributes: list[tuple[str, str, str | None]] = []  # (tag, name, value)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.elements: dict[str, dict[str, str | None]] = {}  # element id -> its attributes
        self.tags: list[str] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of the elements we are in
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        self.attributes += [(tag, name, value) for name, value in attrs]
        if found.get("id"):
            self.elements[str(found["id"])] = found
            self.texts.setdefault(str(found["id"]), [])
        if tag == "script":
            self.scripts.append((found, ""))
        if tag not in ("meta", "input", "br", "link"):
            self._open.append((tag, found.get("id")))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][0] == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        for _, element_id in self._open:
            if element_id:
                self.texts[element_id].append(data)

    def text(self, element_id: str) -> str:
        return "".join(self.texts[element_id])

    @property
    def data(self) -> dict[str, Any]:
        found = [text for attrs, text in self.scripts if attrs.get("id") == "harness-data"]
        assert len(found) == 1, f"{len(found)} data scripts"
        return json.loads(found[0])

    @property
    def rows(self) -> dict[str, list[Any]]:
        """The data's rows by test id: [id, outcome, duration, start, worker, flags, message]."""
        return {row[0]: row for row in self.data["tests"]}


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


class HtmlRunTests(unittest.TestCase):
    """`--html` on a -j 2 run: the page parses, holds every test, and shows what a person needs."""

    @classmethod
    def setUpClass(cls):
        folder = tempfile.TemporaryDirectory(prefix="harness-html-")
        cls.addClassCleanup(folder.cleanup)
        cls.path = os.path.join(folder.name, "out", "report.html")
        cls.run_ = start("html_report", "--seed", "5", "-j", "2", "--html", cls.path).result()
        cls.text = _read(cls.path) if os.path.exists(cls.path) else ""
        cls.page = Page(cls.text)

    def test_the_run_writes_the_page_and_exits_1_for_its_failures(self):
        self.assertEqual(self.run_.code, 1, self.run_.describe())
        self.assertEqual(os.listdir(os.path.dirname(self.path)), ["report.html"])
        self.assertTrue(self.text.startswith("<!DOCTYPE html>\n"))

    def test_the_page_parses_and_holds_every_test(self):
        self.assertEqual(sorted(self.page.rows), sorted(self.run_.tests), self.run_.describe())
        self.assertEqual(len(self.page.data["tests"]), len(self.run_.report["tests"]))
        for test_id, entry in self.run_.tests.items():
            with self.subTest(test_id):
                row = self.page.rows[test_id]
                outcome = self.page.data["outcomes"][row[1]]
                self.assertEqual(outcome, entry["outcome"])
                self.assertEqual((row[2], row[3], row[4]), (entry["duration"], entry["started"], entry["worker"]))

    def test_the_summary_and_the_seed_are_plain_html(self):
        self.assertEqual(self.page.text("summary-line"), self.run_.lines()[-1])
        facts = self.page.text("facts")
        self.assertIn("seed5", facts)
        self.assertIn("bucketmodule", facts)
        self.assertIn("workers2 (-j 2;", facts)
        self.assertEqual(self.page.text("rerun"), "python -m harness --seed 5 --bucket module")

    def test_each_failure_has_its_traceback_and_output_as_plain_html(self):
        failures = self.page.text("failures")
        self.assertIn("Failures (2)", failures)
        self.assertIn(FAILING, failures)
        self.assertIn("test_outcomes.OutcomeTests.test_errors", failures)
        self.assertIn("Traceback (most recent call last):", failures)
        self.assertIn("AssertionError: '<b>bold</b> & </script>' != 'plain'", failures)
        self.assertIn("KeyError: 'no such key'", failures)
        self.assertIn("captured stdout", failures)

    def test_markup_and_control_characters_in_test_output_stay_text(self):
        self.assertEqual([attrs.get("id") for attrs, _ in self.page.scripts], ["harness-data", None])
        self.assertNotIn("injected", self.page.scripts[1][1])
        self.assertEqual(self.page.tags.count("b"), 0)
        self.assertIn("printed </script><script>document.title = 'injected'</script> & \\x1b[31mred\\x1b[0m",
                      self.page.text("failures"))
        self.assertNotIn("\x1b", self.text)
        self.assertEqual(self.page.rows[FAILING][6], "AssertionError: '<b>bold</b> & </script>' != 'plain'")

    def test_the_findings_list_the_task_left_running_and_the_state_change(self):
        leftovers = self.page.text("leftovers")
        self.assertIn(LEAKY, leftovers)
        self.assertIn("residual task 'ticker' running sleep()", leftovers)
        changes = self.page.text("state-changes")
        self.assertIn(POLLUTER, changes)
        self.assertIn("os.environ['HTML_SAMPLE_MODE'] added ('debug') (environ; restored)", changes)
        self.assertEqual(self.page.rows[LEAKY][5] & 1, 1)
        self.assertEqual(self.page.rows[POLLUTER][5] & 2, 2)

    def test_the_slowest_tests_are_listed(self):
        slowest = self.page.text("slowest")
        self.assertIn("slowest tests", slowest)
        for test_id in self.run_.tests:
            self.assertIn(test_id, slowest)

    def test_every_test_has_a_start_and_a_worker_for_the_timeline(self):
        rows = self.page.data["tests"]
        self.assertEqual({row[4] for row in rows}, {1, 2}, "one lane per worker")
        for row in rows:
            with self.subTest(row[0]):
                self.assertGreaterEqual(row[3], 0.0)
                self.assertLessEqual(row[3] + row[2], self.page.data["duration"] + 1e-6)
        self.assertEqual(self.page.elements["timeline"].get("data-bars"), "0", "drawn by the script, not before")

    def test_the_page_fetches_nothing(self):
        links = [(tag, name, value) for tag, name, value in self.page.attributes if name in ("src", "href")]
        self.assertEqual([link for link in links if not (link[2] or "").startswith("#")], [])
        for text in (STYLE, SCRIPT):
            for banned in ("http://", "https://", "//cdn", "url(", "@import", "fetch(", "XMLHttpRequest"):
                self.assertNotIn(banned, text)
        self.assertNotIn("http://", self.text)
        self.assertNotIn("https://", self.text)


class HtmlOptionTests(unittest.TestCase):
    def test_html_is_an_option_and_a_setting_that_rounds_of_until_failure_keep(self):
        self.assertEqual(cli.given(["--html", "build/report.html"]), {"html": "build/report.html"})
        self.assertEqual(config.apply(Config(), {"html": "build/r.html"}, "setup.cfg").html, "build/r.html")
        self.assertEqual(cli.to_argv({"html": "-odd.html"}), ["--html=-odd.html"])


class HtmlPathTests(unittest.TestCase):
    """The same path checks as the other reports: a folder is a usage error, a write that fails is exit 3."""

    def test_a_folder_is_a_usage_error_before_the_run(self):
        with tempfile.TemporaryDirectory(prefix="harness-html-") as folder:
            run = start("html_report", "--html", folder, json_report=False, fresh=True).result()
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: cannot write the HTML report to '[^']+': it is a folder; "
                                     r"give a file path such as '[^']+/report\.html'\n$")

    def test_a_folder_taken_by_a_file_during_the_run_is_exit_3_with_the_summary(self):
        with tempfile.TemporaryDirectory(prefix="harness-html-") as folder:
            path = os.path.join(folder, "out", "report.html")
            env = environment() | {"HARNESS_SAMPLE_BLOCK": os.path.join(folder, "out")}
            done = subprocess.run(
                [sys.executable, "-m", "harness", "--seed", "1", "--html", path, "."],
                cwd=os.path.join(SAMPLES, "report_folder_taken"), env=env, capture_output=True, text=True,
                timeout=TIMEOUT,
            )
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertRegex(done.stderr, r"^harness: error: could not write the HTML report to '(?P<folder>[^']+)/out/"
                                      r"report\.html': '(?P=folder)/out' is a file, not a folder; give a path in a "
                                      r"folder\n$")
        self.assertEqual(done.stdout.splitlines()[-1], "1 passed, 0 failed, 0 skipped")


def _synthetic(count: int) -> Summary:
    """`count` reports over 4 workers: one in 20 failed with a traceback, one in 50 left a task or changed state."""
    reports = []
    for n in range(count):
        worker, started = n % 4 + 1, (n // 4) * 0.01
        failed = n % 20 == 0
        findings = Findings(
            residual_tasks=(ResidualTask("Task-1", "sleep()", "x.py:1 in f", "x.py:2 in g"),) if n % 50 == 1 else (),
            state_changes=(StateChange("environ", f"os.environ['V{n}'] added ('1')", True),) if n % 50 == 2 else (),
        )
        reports.append(TestReport(
            id=f"tests.test_module_{n // 100:03d}.SomeTests.test_case_number_{n:05d}",
            outcome="failed" if failed else "passed", duration=0.008, started=started, worker=worker,
            message="AssertionError: 1 != 2" if failed else "",
            longrepr=("Traceback (most recent call last):\n" + '  File "x.py", line 3, in f\n    g()\n' * 20
                      + "AssertionError: 1 != 2\n") if failed else "",
            stdout="some output\n" * 10 if failed else "", findings=findings,
        ))
    return Summary(reports=tuple(reports), seed=1, bucket="module", duration=count // 4 * 0.01 + 0.01)


_TEN_THOUSAND: dict[str, str] = {}


def _ten_thousand_page() -> str:
    if not _TEN_THOUSAND:
        summary = _synthetic(10_000)
        plan = RunPlan(seed=1, bucket="module", order=tuple(r.id for r in summary.reports), jobs=4,
                       workers=((),) * 4)
        _TEN_THOUSAND["page"] = page(summary, plan, "python -m harness")
    return _TEN_THOUSAND["page"]


class LargeRunTests(unittest.TestCase):
    """A page for 10,000 tests stays small: one short data row per test, tracebacks only for the first failures."""

    def test_10000_tests_make_a_page_of_at_most_3_mb_that_holds_every_test(self):
        started = time.perf_counter()
        text = _ten_thousand_page()
        elapsed = time.perf_counter() - started
        self.assertLess(len(text.encode()), 3_000_000)
        self.assertLess(elapsed, 10.0)
        parsed = Page(text)
        self.assertEqual(len(parsed.rows), 10_000)
        self.assertEqual(parsed.tags.count("details"), FULL_LIMIT, "tracebacks for the first failures only")
        self.assertIn("Failures (500)", parsed.text("failures"))
        self.assertIn("300 more failures, by message only", parsed.text("failures"))

    def test_text_that_could_end_the_data_script_is_escaped(self):
        document = {"text": "</script><!-- & -->", "control": "\x00\x1b", "surrogate": "\udcff"}
        text = script_json(document)
        for banned in ("<", ">", "&"):
            self.assertNotIn(banned, text)
        self.assertEqual(json.loads(text), {**document, "surrogate": "\\xff"})


def _browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def _dump_dom(browser: str, path: str) -> str:
    """The page's DOM after its script ran, as a headless Chromium sees it."""
    with tempfile.TemporaryDirectory(prefix="harness-chromium-") as profile:
        done = subprocess.run(
            [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", f"--user-data-dir={profile}",
             "--window-size=1200,900", "--dump-dom", "file://" + os.path.abspath(path)],
            capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 0 and "<body" in done.stdout, f"{browser} exited {done.returncode}: {done.stderr}"
    return done.stdout


@unittest.skipIf(_browser() is None, f"no headless browser to render the page with: none of {', '.join(BROWSERS)} "
                                     "is on PATH (apt-get install chromium)")
class BrowserTests(unittest.TestCase):
    """The pages in a real browser: the script runs without error and draws a bar per test."""

    def test_the_runs_page_renders_a_bar_per_test_and_a_lane_per_worker(self):
        with tempfile.TemporaryDirectory(prefix="harness-html-") as folder:
            path = os.path.join(folder, "report.html")
            run = start("html_report", "--seed", "5", "-j", "2", "--html", path).result()
            self.assertEqual(run.code, 1, run.describe())
            dom = Page(_dump_dom(_browser() or "", path))
        self.assertEqual(_rendered(dom), ("ok", None))
        self.assertEqual(dom.elements["timeline"].get("data-bars"), str(len(run.tests)))
        self.assertEqual(dom.elements["timeline"].get("data-lanes"), "2")
        self.assertEqual(dom.text("page-info"), f"tests 1 to {len(run.tests)} of {len(run.tests)} (page 1 of 1)")
        self.assertIn(FAILING, dom.text("test-table"))

    def test_a_page_of_10000_tests_renders_its_first_page_of_rows(self):
        with tempfile.TemporaryDirectory(prefix="harness-html-") as folder:
            path = os.path.join(folder, "large.html")
            with open(path, "w", encoding="utf-8") as file:
                file.write(_ten_thousand_page())
            dom = Page(_dump_dom(_browser() or "", path))
        self.assertEqual(_rendered(dom), ("ok", None))
        self.assertEqual(dom.elements["timeline"].get("data-bars"), "10000")
        self.assertEqual(dom.elements["timeline"].get("data-lanes"), "4")
        self.assertEqual(dom.text("page-info"), "tests 1 to 100 of 10000 (page 1 of 100)")


def _rendered(dom: Page) -> tuple[str | None, str | None]:
    """The marks the page's script leaves on <body>: data-rendered and data-error."""
    body = {name: value for tag, name, value in dom.attributes if tag == "body"}
    return body.get("data-rendered"), body.get("data-error")
