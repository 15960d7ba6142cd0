"""bench/compat.py: reading plain unittest's -v output and harness's report, comparing them per test id."""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from tests.support import REPO, SAMPLES, environment

_spec = importlib.util.spec_from_file_location("compat", os.path.join(REPO, "bench", "compat.py"))
assert _spec and _spec.loader
compat = importlib.util.module_from_spec(_spec)
sys.modules["compat"] = compat  # dataclasses look their module up while the class is made
_spec.loader.exec_module(compat)

# What `python -m unittest discover -v` printed for tests/samples/compat_suite on 3.12 (paths shortened).
VERBOSE_312 = """\
test_import_error (unittest.loader._FailedTest.test_import_error) ... ERROR
test_sleeps (test_outcomes.AsyncOutcomes.test_sleeps) ... ok
setUpClass (test_outcomes.BrokenFixture) ... ERROR
test_documented (test_outcomes.Outcomes.test_documented)
A docstring, whose first line unittest -v prints before the status. ... ok
test_errors (test_outcomes.Outcomes.test_errors) ... ERROR
test_expected_failure (test_outcomes.Outcomes.test_expected_failure) ... expected failure
test_fails (test_outcomes.Outcomes.test_fails) ... FAIL
test_passes (test_outcomes.Outcomes.test_passes) ... ok
test_prints_without_newline (test_outcomes.Outcomes.test_prints_without_newline) ... a line the test wroteok
test_skipped (test_outcomes.Outcomes.test_skipped) ... skipped 'not today'
test_subtests (test_outcomes.Outcomes.test_subtests) ...\x20
  test_subtests (test_outcomes.Outcomes.test_subtests) (i=2) ... FAIL
test_unexpected_success (test_outcomes.Outcomes.test_unexpected_success) ... unexpected success

======================================================================
ERROR: test_import_error (unittest.loader._FailedTest.test_import_error)
----------------------------------------------------------------------
ImportError: Failed to import test module: test_import_error
Traceback (most recent call last):
  File "test_import_error.py", line 2, in <module>
    import no_such_module_for_compat  # noqa: F401
ModuleNotFoundError: No module named 'no_such_module_for_compat'

======================================================================
ERROR: setUpClass (test_outcomes.BrokenFixture)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "test_outcomes.py", line 50, in setUpClass
    raise OSError("database is down")
OSError: database is down

======================================================================
FAIL: test_subtests (test_outcomes.Outcomes.test_subtests) (i=2)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "test_outcomes.py", line 39, in test_subtests
    self.assertLess(i, 2)
AssertionError: 2 not less than 2

======================================================================
UNEXPECTED SUCCESS: test_unexpected_success (test_outcomes.Outcomes.test_unexpected_success)
----------------------------------------------------------------------
Ran 10 tests in 0.029s

FAILED (failures=2, errors=3, skipped=1, expected failures=1, unexpected successes=1)
"""

SAMPLE_OUTCOMES = {
    "test_import_error": "error",
    "test_outcomes.AsyncOutcomes.test_sleeps": "passed",
    "setUpClass (test_outcomes.BrokenFixture)": "error",
    "test_outcomes.Outcomes.test_documented": "passed",
    "test_outcomes.Outcomes.test_errors": "error",
    "test_outcomes.Outcomes.test_expected_failure": "xfailed",
    "test_outcomes.Outcomes.test_fails": "failed",
    "test_outcomes.Outcomes.test_passes": "passed",
    "test_outcomes.Outcomes.test_prints_without_newline": "passed",
    "test_outcomes.Outcomes.test_skipped": "skipped",
    "test_outcomes.Outcomes.test_subtests": "failed",
    "test_outcomes.Outcomes.test_unexpected_success": "xpassed",
}


class UnittestOutputTests(unittest.TestCase):
    def test_every_outcome_of_the_verbose_output_is_read_per_test_id(self):
        self.assertEqual(compat.parse_unittest(VERBOSE_312), SAMPLE_OUTCOMES)

    def test_a_module_skipped_at_import_is_named_after_the_module(self):
        output = "test_needs_db (unittest.loader.ModuleSkipped.test_needs_db) ... skipped 'no database'\n"
        self.assertEqual(compat.parse_unittest(output), {"test_needs_db": "skipped"})

    def test_a_dotted_module_that_failed_to_import_keeps_its_dotted_name(self):
        output = "pkg.tests.test_x (unittest.loader._FailedTest.pkg.tests.test_x) ... ERROR\n"
        self.assertEqual(compat.parse_unittest(output), {"pkg.tests.test_x": "error"})

    def test_the_short_form_of_older_pythons_and_doctests_gets_the_method_name_appended(self):
        output = "test_a (pkg.mod.Case) ... ok\ndumps (simplejson) ... ok\n"
        self.assertEqual(compat.parse_unittest(output), {"pkg.mod.Case.test_a": "passed", "simplejson.dumps": "passed"})

    def test_a_class_made_in_a_function_keeps_its_locals_in_the_id(self):
        output = "test_a (m._make.<locals>._Case.test_a) ... ok\ntest_b (m._make.<locals>._Case.test_b) ... FAIL\n"
        self.assertEqual(compat.parse_unittest(output),
                         {"m._make.<locals>._Case.test_a": "passed", "m._make.<locals>._Case.test_b": "failed"})

    def test_a_status_after_lines_of_test_output_belongs_to_the_test_that_started_before(self):
        output = ("test_a (m.C.test_a) ... \nsome output\nmore output\nok\n"
                  "test_b (m.C.test_b) ... skipped \"it's off\"\n")
        self.assertEqual(compat.parse_unittest(output), {"m.C.test_a": "passed", "m.C.test_b": "skipped"})

    def test_fixture_errors_known_only_from_the_closing_summary_are_read(self):
        output = (
            "test_a (m.C.test_a) ... ok\n\n" + "=" * 70 + "\nERROR: tearDownClass (m.C)\n" + "-" * 70
            + "\nTraceback (most recent call last):\nOSError: gone\n\n" + "=" * 70
            + "\nERROR: setUpModule (m)\n" + "-" * 70 + "\nOSError: gone\n"
        )
        self.assertEqual(
            compat.parse_unittest(output),
            {"m.C.test_a": "passed", "tearDownClass (m.C)": "error", "setUpModule (m)": "error"},
        )

    def test_a_traceback_line_that_looks_like_a_test_is_not_read_as_one(self):
        output = "test_a (m.C.test_a) ... FAIL\n\n" + "=" * 70 + "\nFAIL: test_a (m.C.test_a)\n" + "-" * 70 + (
            "\nTraceback (most recent call last):\nAssertionError: test_b (m.C.test_b) ... ok\n"
        )
        self.assertEqual(compat.parse_unittest(output), {"m.C.test_a": "failed"})

    def test_the_summary_names_the_count_and_the_verdict(self):
        self.assertEqual(
            compat.unittest_summary(VERBOSE_312),
            "Ran 10: FAILED (failures=2, errors=3, skipped=1, expected failures=1, unexpected successes=1)",
        )
        self.assertEqual(compat.unittest_summary("test_a (m.C.test_a) ... "), "Ran ?: no verdict")

    def test_discover_comes_before_the_verbose_flag(self):
        self.assertEqual(compat.unittest_args(["discover", "-s", "tests"]), ["discover", "-v", "-s", "tests"])
        self.assertEqual(compat.unittest_args(["test.test_x"]), ["-v", "test.test_x"])


def _report(tests: list[dict], order: list[str]) -> dict:
    counts = {"passed": 1, "failed": 1, "skipped": 0, "error": 1, "xfailed": 0, "xpassed": 0}
    return {"tests": tests, "order": order, "counts": counts, "interrupted": False}


def _entry(test: str, outcome: str, **extra: object) -> dict:
    return {"id": test, "outcome": outcome, "message": "", "state_changes": [], "residual_tasks": [],
            "unhandled_errors": [], **extra}


class HarnessReportTests(unittest.TestCase):
    def test_a_planned_test_with_no_entry_is_not_run_and_findings_are_grouped_with_numbers_as_n(self):
        change = {"probe": "environ", "detail": "os.environ['X'] added ('1')", "restored": True}
        task = {"coro": "Cache._expire()", "created_at": "cache.py:3 in start"}
        report = _report(
            [_entry("m.C.test_a", "passed", state_changes=[change], residual_tasks=[task]),
             _entry("m.C.test_b", "error", message="OSError: gone", state_changes=[change],
                    unhandled_errors=["coroutine 'f' was never awaited"])],
            ["m.C.test_a", "m.C.test_b", "m.C.test_c"],
        )
        result = compat.parse_harness(report)
        self.assertEqual(result.outcomes, {"m.C.test_a": "passed", "m.C.test_b": "error", "m.C.test_c": "not run"})
        self.assertEqual(result.messages, {"m.C.test_b": "OSError: gone"})
        self.assertEqual(result.summary, "1 passed, 1 failed, 0 skipped")
        self.assertEqual(compat.group_findings(result.findings), [
            ("environ", "os.environ['X'] added ('N')", 2, "m.C.test_a"),
            ("residual task", "Cache._expire() created at cache.py:N in start", 1, "m.C.test_a"),
            ("unhandled error", "coroutine 'f' was never awaited", 1, "m.C.test_b"),
        ])


class ComparisonTests(unittest.TestCase):
    def test_the_same_outcomes_make_no_difference(self):
        self.assertEqual(compat.compare(SAMPLE_OUTCOMES, dict(SAMPLE_OUTCOMES)), [])

    def test_each_differing_id_is_listed_with_both_outcomes_and_harness_message(self):
        plain = {"m.C.test_a": "passed", "m.C.test_b": "passed", "m.C.test_c": "skipped"}
        harness = {"m.C.test_a": "failed", "m.C.test_c": "skipped", "m.D.test_d": "passed"}
        self.assertEqual(compat.compare(plain, harness, {"m.C.test_a": "AssertionError: 1 != 2"}), [
            compat.Difference("m.C.test_a", "passed", "failed", "AssertionError: 1 != 2"),
            compat.Difference("m.C.test_b", "passed", "absent"),
            compat.Difference("m.D.test_d", "absent", "passed"),
        ])

    def test_a_test_left_out_by_its_failed_fixture_is_not_a_difference_but_one_unittest_ran_is(self):
        plain = {"setUpClass (m.C)": "error", "m.D.test_d": "passed"}
        harness = {"setUpClass (m.C)": "error", "m.C.test_a": "not run", "m.D.test_d": "not run"}
        self.assertEqual(compat.compare(plain, harness), [compat.Difference("m.D.test_d", "passed", "not run")])


class ReplayTests(unittest.TestCase):
    def test_each_worker_sequence_with_a_difference_is_replayed_up_to_its_last_differing_test(self):
        differences = [compat.Difference("m.C.test_b", "passed", "failed"),
                       compat.Difference("m.D.test_y", "passed", "error")]
        sequences = [["m.C.test_a", "m.C.test_b", "m.C.test_c"], ["m.E.test_q"], ["m.D.test_x", "m.D.test_y"]]
        self.assertEqual(compat.replay_sequences(differences, sequences),
                         [["m.C.test_a", "m.C.test_b"], ["m.D.test_x", "m.D.test_y"]])

    def test_a_difference_plain_unittest_repeats_in_that_order_is_the_suites_own(self):
        difference = compat.Difference("m.C.test_b", "passed", "failed")
        self.assertEqual(compat.triage(difference, {"m.C.test_b": "failed"}),
                         "the suite's own order dependence: plain unittest in harness's order gives failed too")
        self.assertEqual(compat.triage(difference, {"m.C.test_b": "passed"}),
                         "harness: plain unittest in harness's order gives passed")
        self.assertEqual(compat.triage(difference, {}), "not replayed")

    def test_the_same_outcome_with_another_message_is_left_unclear(self):
        difference = compat.Difference("m.C.test_b", "passed", "failed", "AssertionError: 'type' != 'module'")
        self.assertEqual(
            compat.triage(difference, {"m.C.test_b": "failed"}, {"m.C.test_b": "AssertionError: 1 != 2"}),
            "unclear: plain unittest in harness's order gives failed too, but with another message: "
            "AssertionError: 1 != 2")

    def test_the_exception_line_of_each_failure_is_read_from_the_summary(self):
        self.assertEqual(compat.unittest_messages(VERBOSE_312), {
            "test_import_error": "ModuleNotFoundError: No module named 'no_such_module_for_compat'",
            "setUpClass (test_outcomes.BrokenFixture)": "OSError: database is down",
            "test_outcomes.Outcomes.test_subtests": "AssertionError: 2 not less than 2",
            "test_outcomes.Outcomes.test_unexpected_success": "",
        })


class ReplayImportsTests(unittest.TestCase):
    """The replay imports every test module of harness's run before the prefix runs, as a harness worker does."""

    def test_a_modules_import_time_side_effect_is_part_of_the_replayed_state(self):
        with tempfile.TemporaryDirectory(prefix="compat-imports-") as folder:
            Path(folder, "registry.py").write_text("DECLARED = []\n")
            Path(folder, "test_first.py").write_text(
                "import unittest\nimport registry\n\n\nclass T(unittest.TestCase):\n"
                "    def test_nothing_declared(self):\n        self.assertEqual(registry.DECLARED, [])\n")
            Path(folder, "test_second.py").write_text(
                "import unittest\nimport registry\n\nregistry.DECLARED.append('second')\n\n\n"
                "class U(unittest.TestCase):\n    def test_ok(self):\n        pass\n")
            every, prefix = Path(folder, "every"), Path(folder, "prefix")
            every.write_text("test_first.T.test_nothing_declared\ntest_second.U.test_ok")
            prefix.write_text("test_first.T.test_nothing_declared")
            alone = compat.run([sys.executable, "-m", "unittest", "-v", "test_first.T.test_nothing_declared"],
                               folder, environment(), 60)
            replayed = compat.run([sys.executable, "-c", compat._REPLAY, str(every), str(prefix)], folder,
                                  environment(), 60)
        self.assertEqual(compat.parse_unittest(alone.output), {"test_first.T.test_nothing_declared": "passed"})
        self.assertEqual(compat.parse_unittest(replayed.output), {"test_first.T.test_nothing_declared": "failed"})


class PlaceholderTests(unittest.TestCase):
    def test_modules_under_a_namespace_folder_are_given_by_dotted_name(self):
        with tempfile.TemporaryDirectory() as site:
            for path in ("ns/pkg/tests/test_a.py", "ns/pkg/tests/helpers.py", "ns/pkg/sub/tests/test_b.py"):
                Path(site, path).parent.mkdir(parents=True, exist_ok=True)
                Path(site, path).touch()
            self.assertEqual(compat.fill(["{site}/x", "{modules:ns/pkg}"], site=site, src=""),
                             [f"{site}/x", "ns.pkg.sub.tests.test_b", "ns.pkg.tests.test_a"])


class TableTests(unittest.TestCase):
    def test_cells_not_run_say_so_and_a_hang_is_named(self):
        plain = compat.Cell("s", "3.11", "unittest", 0, 0, "ran", 1.25, 3, "Ran 3: OK")
        hung = compat.Cell("s", "3.11", "harness", 1, 2, "hang", 600.0, 0, "")
        same = compat.Cell("s", "3.11", "harness", 1, 1, "ran", 2.0, 3, "3 passed", findings=[["x", "y", 2, "t"]])
        results = {c.key: compat.asdict(c) for c in (plain, hung, same)}
        table = compat.markdown_table(results, [1, 2], [1, 2]).splitlines()
        self.assertEqual(table[0], "| suite | Python | version | tests | unittest | harness s1 -j1 | harness s1 -j2"
                                   " | harness s2 -j1 | harness s2 -j2 |")
        self.assertEqual(table[2], "| s | 3.11 | ? | 3 | Ran 3: OK, 1.2 s | same, 2 findings, 2.0 s"
                                   " | **hang** (killed at 600 s) | not run | not run |")

    def test_a_bad_list_of_seeds_is_one_line(self):
        with self.assertRaisesRegex(Exception, r"^'1,x' is not a comma-separated list of integers \(e\.g\. 1,2,3\)$"):
            compat.int_list("1,x")


class BadInputTests(unittest.TestCase):
    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, os.path.join(REPO, "bench", "compat.py"), *args],
                              capture_output=True, text=True, timeout=60)

    def test_an_unknown_suite_or_python_is_one_line_and_exit_2_before_anything_runs(self):
        for args, pattern in [
            (("--suite", "nope"),
             r"^compat: error: unknown suite 'nope'; choose from: test\.test_asyncio, .*, markdown\n$"),
            (("--python", sys.executable, "--python", "2.1", "--suite", "simplejson"),
             r"^compat: error: no Python '2\.1' found \(looked for /root/\.pyenv/versions/2\.1\*/bin/python3\); "
             r"give one of 3\.11, 3\.12, 3\.13 or a path to a python executable\n$"),
        ]:
            with self.subTest(args=args):
                done = self._run(*args)
                self.assertEqual((done.returncode, done.stdout), (2, ""))
                self.assertRegex(done.stderr, pattern)

    def test_a_bad_seed_list_is_argparses_usage_error(self):
        done = self._run("--seeds", "1,x")
        self.assertEqual(done.returncode, 2)
        self.assertIn("argument --seeds: '1,x' is not a comma-separated list of integers (e.g. 1,2,3)", done.stderr)


class RunTests(unittest.TestCase):
    def test_a_command_over_its_time_limit_is_killed_with_its_children_and_reported_as_a_hang(self):
        with tempfile.TemporaryDirectory() as folder:
            marker = Path(folder, "child-ran-on")
            child = f"import time; time.sleep(3); open({str(marker)!r}, 'w')"
            parent = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); "
                      "time.sleep(60)")
            finished = compat.run([sys.executable, "-c", parent], folder, compat.clean_env(), timeout=1)
            self.assertTrue(finished.hung)
            self.assertIsNone(finished.code)
            # The grandchild was killed with its group: it never gets to write the marker.
            compat.run([sys.executable, "-c", "import time; time.sleep(4)"], folder, compat.clean_env(), timeout=30)
            self.assertFalse(marker.exists())

    def test_the_runs_get_sigint_and_sighup_as_in_a_terminal_when_the_script_was_started_with_them_ignored(self):
        script = ("import sys, signal; sys.path.insert(0, sys.argv[1]); import compat; "
                  "print(compat.run([sys.executable, '-c', 'import signal; print(signal.getsignal(signal.SIGINT), "
                  "signal.getsignal(signal.SIGHUP))'], '.', {}, 60).output)")

        def ignored() -> None:  # as nohup and a script's background job start it
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

        done = subprocess.run([sys.executable, "-c", script, os.path.join(REPO, "bench")], capture_output=True,
                              text=True, timeout=60, preexec_fn=ignored, env=environment())
        self.assertEqual(done.stdout.strip(), "<built-in function default_int_handler> 0", done.stderr)

    def test_the_sample_suite_has_the_same_outcomes_under_unittest_and_harness_serially_and_in_two_workers(self):
        env = environment()
        cells = compat.run_pair("compat_suite", "this", sys.executable, Path(SAMPLES, "compat_suite"),
                                ["discover", "-s", ".", "-t", "."], ["."], [1], [1, 2], 120, env)
        plain, *harness = cells
        self.assertEqual(plain.outcomes, SAMPLE_OUTCOMES)
        self.assertEqual([(c.runner, c.seed, c.jobs, c.status, c.differences) for c in harness],
                         [("harness", 1, 1, "ran", []), ("harness", 1, 2, "ran", [])])
        never_runs = "test_outcomes.BrokenFixture.test_never_runs"
        self.assertEqual(harness[0].outcomes, {**SAMPLE_OUTCOMES, never_runs: "not run"})

    def test_a_difference_plain_unittest_shares_in_harness_order_is_triaged_as_the_suites_own(self):
        # Seed 8 runs test_b before test_a; plain unittest runs them alphabetically, where both pass.
        cells = compat.run_pair("compat_order", "this", sys.executable, Path(SAMPLES, "compat_order"),
                                ["discover", "-s", ".", "-t", "."], ["."], [8], [1], 120, environment())
        plain, harness = cells
        self.assertEqual(plain.outcomes, {"test_order.OrderTests.test_a_registers": "passed",
                                          "test_order.OrderTests.test_b_needs_the_registration": "passed"})
        self.assertEqual(harness.differences, [{
            "test": "test_order.OrderTests.test_b_needs_the_registration", "unittest": "passed",
            "harness": "failed", "message": "AssertionError: Lists differ: [] != ['a']",
            "triage": "the suite's own order dependence: plain unittest in harness's order gives failed too",
        }])


if __name__ == "__main__":
    unittest.main()
