"""Memory limits: a worker past --max-memory is stopped, its test is an error, and the run goes on and reports."""
from __future__ import annotations

import os
import re
import sys
import tempfile
import unittest

from tests.support import run_harness, start

GROWS = "test_memory.GrowsTests.test_allocates_without_end"
SMALL = "test_memory.SmallTests."
MIB = 1 << 20
LINUX = sys.platform.startswith("linux") and os.path.exists("/proc/self/statm")


@unittest.skipUnless(LINUX, "memory limits read /proc: Linux only")
class LimitTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.html = tempfile.TemporaryDirectory(prefix="harness-memory-")
        cls.html_path = os.path.join(cls.html.name, "report.html")
        cls.stopped = start("memory_limit", "--seed", "1", "--bucket", "none", "--max-memory", "200M",
                            "--durations", "0", "--html", cls.html_path, targets=("test_memory.py",),
                            junit=True).result()

    @classmethod
    def tearDownClass(cls):
        cls.html.cleanup()

    def test_the_test_past_the_limit_is_an_error_and_the_others_pass(self):
        self.assertEqual(self.stopped.code, 1, self.stopped.describe())
        self.assertEqual(self.stopped.outcomes, {GROWS: "error", SMALL + "test_holds_a_little": "passed",
                                             SMALL + "test_holds_nothing": "passed"}, self.stopped.describe())
        self.assertEqual(self.stopped.lines()[-1], "2 passed, 1 failed, 0 skipped")

    def test_the_message_says_what_happened_and_where_the_limit_came_from(self):
        grows = self.stopped.tests[GROWS]
        self.assertEqual(grows["message"], "used more than 200.0 MiB of memory (limit from --max-memory or the "
                                           "max_memory setting); its worker process was stopped")
        self.assertIn(f"the worker process running {GROWS} used more than 200.0 MiB", grows["longrepr"])

    def test_the_stopped_test_shows_its_stack_and_last_output(self):
        longrepr = self.stopped.tests[GROWS]["longrepr"]
        self.assertRegex(longrepr, r'File ".*test_memory\.py", line \d+ in test_allocates_without_end')
        self.assertIn("--- last stdout output ---\nabout to allocate without end", longrepr)

    def test_each_test_has_its_peak_memory_in_the_json_report(self):
        peaks = {test_id: entry["peak_memory"] for test_id, entry in self.stopped.tests.items()}
        self.assertGreater(peaks[GROWS], 200 * MIB)
        self.assertGreater(peaks[SMALL + "test_holds_a_little"], 16 * MIB)  # its 16 MiB block, and the interpreter
        self.assertLess(peaks[SMALL + "test_holds_nothing"], 200 * MIB)
        self.assertEqual(self.stopped.report["memory_limit"], {"bytes": 200 * MIB,
                                                           "source": "--max-memory or the max_memory setting"})

    def test_the_durations_list_has_a_memory_column(self):
        rows = [line for line in self.stopped.lines() if line.endswith(SMALL + "test_holds_a_little")]
        self.assertEqual(len(rows), 1, self.stopped.describe())
        self.assertRegex(rows[0], r"^\s+\d+\.\d{3} s\s+\d+\.\d MiB  test_memory\.SmallTests\.test_holds_a_little$")

    def test_the_junit_and_html_reports_are_complete(self):
        self.assertEqual(len(list(self.stopped.junit.iter("testcase"))), 3)
        with open(self.html_path, encoding="utf-8") as file:
            page = file.read()
        self.assertIn('<section id="memory"><h2>The 3 tests with the largest peak memory</h2>', page)
        first_row = page.split('<section id="memory">')[1].split("<tbody>")[1].split("</tr>")[0]
        self.assertIn(GROWS, first_row)  # the biggest first


    def test_a_fixture_past_the_limit_is_the_workers_error_and_the_next_class_runs(self):
        run = run_harness("memory_limit", "--seed", "1", "--bucket", "none", "--max-memory", "200M",
                          targets=("test_fixture_memory.py",))
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.outcomes, {"worker 1": "error", "test_fixture_memory.AfterTests.test_runs": "passed"},
                         run.describe())
        self.assertRegex(run.tests["worker 1"]["message"], r"^worker 1 used more than 200\.0 MiB of memory \(limit "
                         r"from --max-memory or the max_memory setting\) and was stopped before "
                         r"test_fixture_memory\.FixtureGrowsTests\.test_never_runs started \(in setUpModule or "
                         r"setUpClass\?\); 1 test of test_fixture_memory\.FixtureGrowsTests did not run$")
        self.assertRegex(run.tests["worker 1"]["longrepr"], r'File ".*test_fixture_memory\.py", line \d+ in setUpClass')


@unittest.skipUnless(LINUX, "memory limits read /proc: Linux only")
class DefaultTests(unittest.TestCase):
    def test_each_worker_gets_half_the_memory_shared_by_the_workers_at_most_4_gib(self):
        for jobs in (1, 2):
            with self.subTest(jobs=jobs):
                run = run_harness("memory_limit", "--seed", "1", "-j", str(jobs), "-k", "SmallTests")
                self.assertEqual(run.code, 0, run.describe())
                limit = run.report["memory_limit"]
                available = _available()
                expected = max(256 * MIB, min(4 << 30, available // (2 * jobs)))
                self.assertEqual(limit["bytes"], expected)
                shared = f", shared by {jobs} workers" if jobs > 1 else ""
                self.assertRegex(limit["source"], rf"^the default: half of this machine's \d+\.\d GiB{shared}, "
                                                  r"at most 4\.0 GiB a worker; set --max-memory to change it$")

    def test_zero_turns_the_limit_off(self):
        run = run_harness("memory_limit", "--seed", "1", "--max-memory", "0", "-k", "SmallTests")
        self.assertEqual(run.code, 0, run.describe())
        self.assertIsNone(run.report["memory_limit"])


def _available() -> int:
    """The machine's memory, or its control group's limit when lower (as a container or CI job sees it)."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    limits = []
    try:
        with open("/proc/self/cgroup", encoding="utf-8") as file:
            paths = [line[3:].strip() for line in file if line.startswith("0::")]
        limits += [os.path.join("/sys/fs/cgroup", path.lstrip("/"), "memory.max") for path in paths]
    except OSError:
        pass
    limits.append("/sys/fs/cgroup/memory/memory.limit_in_bytes")
    for path in limits:
        try:
            with open(path, encoding="ascii") as file:
                text = file.read().strip()
        except OSError:
            continue
        if re.fullmatch(r"\d+", text) and int(text) < 1 << 60:
            return min(physical, int(text))
    return physical


if __name__ == "__main__":
    unittest.main()
