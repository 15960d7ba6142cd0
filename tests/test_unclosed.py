"""ResourceWarnings are findings of the test that left the resource, on every kind of test case (the unclosed probe)."""
from __future__ import annotations

import unittest

from tests.support import line_of, start

SAMPLE = "unclosed"
PREFIX = "test_unclosed."
FILE = r"ResourceWarning: unclosed file <_io\.TextIOWrapper name='.*test_unclosed\.py' mode='r' encoding='UTF-8'>"
SOCKET = r"ResourceWarning: unclosed <socket\.socket fd=\d+, family=%d, .*>"
LEAKS = {
    "PlainTests.test_leaves_a_file_open": [FILE],
    "AsyncTests.test_leaves_a_socket_in_a_cycle": [SOCKET % 2],
    "AsyncTests.test_leaves_an_event_loop_open": [r"ResourceWarning: unclosed event loop <_UnixSelectorEventLoop "
                                                  r"running=False closed=False debug=False>"],
    "StdlibTests.test_leaves_a_socket_pair_open": [SOCKET % 1] * 2,
}
CLEAN = ("PlainTests.test_closes_its_file", "PlainTests.test_asserts_the_warning_itself",
         "PlainTests.test_ignores_resource_warnings_itself", "AsyncTests.test_closes_its_socket")


class UnclosedTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runs = {
            "plain": start(SAMPLE, "--seed", "1"),
            "traced": start(SAMPLE, "--seed", "2", env={"PYTHONTRACEMALLOC": "5"}),
            "parallel": start(SAMPLE, "--seed", "3", "-j", "2"),
            "off": start(SAMPLE, "--seed", "1", "--no-probes", "unclosed"),
        }

    def test_each_resource_left_to_the_collector_is_a_finding_of_the_test_that_left_it(self):
        for name in ("plain", "parallel"):
            run = self.runs[name].result()
            for test_id, patterns in LEAKS.items():
                with self.subTest(run=name, test=test_id):
                    entry = run.tests[PREFIX + test_id]
                    self.assertEqual(entry["outcome"], "passed", run.describe())
                    changes = [c for c in entry["state_changes"] if c["probe"] == "unclosed"]
                    self.assertEqual(len(changes), len(patterns), entry["state_changes"])
                    for change, pattern in zip(changes, patterns, strict=True):
                        self.assertRegex(change["detail"], f"^{pattern} \\(run with PYTHONTRACEMALLOC=20 to see where "
                                                           "it was allocated\\)$")
                        self.assertFalse(change["restored"])
            self.assertIn("(unclosed; not restored)", run.stdout)

    def test_tests_that_close_what_they_open_or_look_at_the_warning_themselves_have_no_finding(self):
        run = self.runs["plain"].result()
        for test_id in CLEAN:
            with self.subTest(test_id):
                entry = run.tests[PREFIX + test_id]
                self.assertEqual((entry["outcome"], entry["state_changes"]), ("passed", []), run.describe())
        self.assertEqual(run.code, 0, run.describe())

    def test_with_tracemalloc_the_finding_says_where_the_resource_was_allocated(self):
        run = self.runs["traced"].result()
        for test_id, text in (("PlainTests.test_leaves_a_file_open", "handle = open("),
                              ("AsyncTests.test_leaves_a_socket_in_a_cycle", "self.sock = socket.socket()"),
                              ("StdlibTests.test_leaves_a_socket_pair_open", "left, right = socket.socketpair()")):
            with self.subTest(test_id):
                line = line_of(SAMPLE, "test_unclosed.py", text)
                details = [c["detail"] for c in run.tests[PREFIX + test_id]["state_changes"]]
                self.assertTrue(details, run.describe())
                for detail in details:
                    self.assertRegex(detail, f" \\(allocated at test_unclosed\\.py:{line}\\)$")

    def test_the_probe_can_be_turned_off(self):
        run = self.runs["off"].result()
        self.assertEqual({k: v["state_changes"] for k, v in run.tests.items() if v["state_changes"]}, {},
                         run.describe())
        self.assertNotIn("ResourceWarning", run.stdout + run.stderr)
        self.assertEqual(run.code, 0)


OLD = "unclosed_old"


class OldGenerationTests(unittest.TestCase):
    """What a full collection during the test moved to the oldest generation is still found at its end: a socket
    (whose descriptor is still open) and a process the test started (which holds none), each on its own test; a test
    that closed everything it opened has no finding."""

    @classmethod
    def setUpClass(cls):
        runs = {leftover: start(OLD, "--seed", "1", env={"HARNESS_SAMPLE_LEFTOVER": leftover})
                for leftover in ("", "socket", "process")}
        cls.runs = {leftover: run.result() for leftover, run in runs.items()}

    def test_a_resource_in_an_old_cycle_is_a_finding_of_the_test_that_left_it(self):
        self.assert_found_once(self.runs[""])

    def test_what_loading_left_in_an_old_cycle_is_no_tests_finding(self):
        # A socket keeps its descriptor open, and a process was started while loading: either way, the look before
        # the first test makes a full collection, so the loading's leftovers warn before any test.
        for leftover in ("socket", "process"):
            with self.subTest(leftover=leftover):
                self.assert_found_once(self.runs[leftover])

    def assert_found_once(self, run):
        self.assertEqual(run.code, 0, run.describe())
        found = {test_id.rpartition(".")[2]: [c["detail"] for c in entry["state_changes"]]
                 for test_id, entry in run.tests.items() if entry["state_changes"]}
        self.assertEqual(sorted(found), ["test_leaves_a_process_in_an_old_cycle",
                                         "test_leaves_a_socket_in_an_old_cycle"], run.describe())
        self.assertEqual(len(found["test_leaves_a_socket_in_an_old_cycle"]), 1, run.describe())
        self.assertRegex(found["test_leaves_a_socket_in_an_old_cycle"][0], "^" + SOCKET % 2 + " ")
        self.assertEqual(len(found["test_leaves_a_process_in_an_old_cycle"]), 1, run.describe())
        self.assertRegex(found["test_leaves_a_process_in_an_old_cycle"][0],
                         r"^ResourceWarning: subprocess \d+ is still running ")
