"""Polluter bisection: the search on its own, reading trial reports, then --bisect end to end on sample suites."""
from __future__ import annotations

import io
import json
import math
import os
import random
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from harness.reports.records import StateChange
from harness.run import bisect_search, bisect_trials
from harness.run.bisect_search import Search, minimize
from harness.run.bisect_trials import Command, TrialError, Trials
from tests.support import REPO, SAMPLES, TIMEOUT, Run, environment, start

VICTIM = "test_victim.VictimTests.test_sees_the_default_mode"
POLLUTER = "test_many.ManyTests.test_137"
JOBS = "test_jobs.JobTests."
BATCHES, BETA, LIMIT = JOBS + "test_batches_are_large", JOBS + "test_enables_beta", JOBS + "test_lowers_the_limit"
PLUGINS = "test_plugins.PluginTests."
USES, REGISTERS = PLUGINS + "test_uses_the_csv_plugin", PLUGINS + "test_registers_the_csv_plugin"
STALE = "test_victim.IndexTests.test_no_reindex_is_pending"
STEPS = "test_steps.StepTests."
MIGRATES, IMPORTS, VERBOSE = STEPS + "test_042", STEPS + "test_077", STEPS + "test_013"
PROGRESS = re.compile(r"^bisect: trial (\d+) of ~(\d+): (.+) \.\.\. (fails|passes)(: .*)?$")


def bound(count: int) -> float:
    """The promise for one polluter among `count` earlier tests, in trial runs."""
    return 2 * math.log2(count) + 4


def bound_together(count: int, culprits: int) -> float:
    """The promise for `culprits` polluters needed together among `count` earlier tests, in trial runs."""
    return culprits * (math.log2(count) + 2) + 4


def bisection_trials(found: bisect_search.Minimized, count: int) -> int:
    """A whole bisection's trials: the full run, the test alone, the search, and the other tests when there are."""
    return 2 + found.trials + (count > len(found.found or ()))


def ids(count: int) -> list[str]:
    return [f"mod.Tests.test_{n:03}" for n in range(count)]


def one_minimal(found: tuple[str, ...], reproduces) -> bool:
    return reproduces(list(found)) and not any(reproduces([x for x in found if x != out]) for out in found)


# ------------------------------------------------------------------------------------------------------
# the search, without subprocesses
# ------------------------------------------------------------------------------------------------------
class SearchTests(unittest.TestCase):
    """`minimize` over ids and a predicate; the full run and the test alone are 2 more trials in a bisection."""

    def test_one_culprit_is_found_within_2_log2_n_plus_4_trials_wherever_it_is(self):
        # +2: the full run and the test alone; +1: the check that the other tests do not break it too
        for count in [*range(1, 130), 199, 200, 255, 256, 257]:
            tests = ids(count)
            for culprit in tests:
                found = minimize(tests, lambda subset, culprit=culprit: culprit in subset)
                self.assertEqual(found.found, (culprit,))
                self.assertLessEqual(found.trials + 2 + (count > 1), bound(count), (count, culprit))

    def test_suspects_holding_the_culprit_find_it_at_once(self):
        tests = ids(200)
        found = minimize(tests, lambda subset: tests[137] in subset, suspects=[tests[137]])
        self.assertEqual((found.found, found.trials), ((tests[137],), 1))
        found = minimize(tests, lambda subset: tests[137] in subset, suspects=[tests[3], tests[137], tests[150]])
        self.assertEqual(found.found, (tests[137],))
        self.assertLessEqual(found.trials, 4)

    def test_wrong_suspects_cost_one_trial_and_the_bound_still_holds(self):
        tests = ids(200)
        for culprit in tests:
            found = minimize(tests, lambda subset, culprit=culprit: culprit in subset,
                             suspects=[t for t in tests[:5] if t != culprit])
            self.assertEqual(found.found, (culprit,))
            self.assertLessEqual(found.trials + 3, bound(200))

    def test_k_culprits_needed_together_take_at_most_k_log2_n_plus_2_plus_4_trials(self):
        rng = random.Random(14)
        for _ in range(1000):
            count = rng.randint(1, 300)
            tests = ids(count)
            needed = set(rng.sample(tests, rng.randint(1, min(3, count))))
            others = [test for test in tests if test not in needed]
            right = [*needed, *rng.sample(others, min(len(others), rng.randint(0, 5)))]
            wrong = rng.sample(others, min(len(others), rng.randint(1, 5)))
            limit = bound_together(count, len(needed))
            for suspects, extra in (((), 0), (right, 0), (wrong, 1)):  # a wrong hint costs one trial at most
                found = minimize(tests, lambda subset, needed=needed: needed <= set(subset), suspects)
                self.assertEqual(set(found.found or ()), needed)
                self.assertLessEqual(bisection_trials(found, count), limit + extra, (count, needed, suspects))

    def test_the_shortest_failing_prefix_is_found_by_halving_and_its_last_test_kept(self):
        asked: list[list[str]] = []

        def reproduces(subset):
            asked.append(subset)
            return {"mod.Tests.test_002", "mod.Tests.test_005"} <= set(subset)

        found = minimize(ids(8), reproduces)
        self.assertEqual(found.found, ("mod.Tests.test_002", "mod.Tests.test_005"))
        self.assertEqual([[name[-1] for name in subset] for subset in asked], [
            list("0123"), list("01234567"), list("012345"), list("01234"),  # test_005 ends the shortest prefix
            list("5"), list("015"), list("0125"), list("25"),  # test_002 the shortest before it, with test_005
        ])

    def test_culprits_that_act_only_together_are_all_found(self):
        tests = ids(200)
        for together in [(3, 150), (10, 11), (0, 199), (99, 100), (5, 60, 170)]:
            needed = {tests[n] for n in together}
            found = minimize(tests, lambda subset, needed=needed: needed <= set(subset))
            self.assertEqual(set(found.found or ()), needed)

    def test_every_result_is_1_minimal_whatever_the_culprits(self):
        rng = random.Random(7)
        for _ in range(1000):
            tests = ids(rng.randint(3, 60))
            groups = [set(rng.sample(tests, rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
            cleaner = rng.choice([None, *tests])  # a test that puts things back: the predicate is not monotone

            def reproduces(subset, groups=groups, cleaner=cleaner):
                return cleaner not in subset and any(group <= set(subset) for group in groups)

            suspects = rng.sample(tests, min(len(tests), rng.randint(0, 4)))
            found = minimize(tests, reproduces, suspects).found
            if reproduces(tests):
                self.assertTrue(found and one_minimal(found, reproduces), (groups, cleaner, found))

    def test_a_set_that_does_not_reproduce_gives_none(self):
        self.assertEqual(minimize(ids(20), lambda subset: False), bisect_search.Minimized(None, 2))  # a half, then all
        self.assertEqual(minimize([], lambda subset: True).found, None)

    def test_each_set_is_run_once(self):
        asked = []

        def reproduces(subset):
            asked.append(frozenset(subset))
            return {"mod.Tests.test_003", "mod.Tests.test_011"} <= set(subset)

        found = minimize(ids(16), reproduces)
        self.assertEqual(found.found, ("mod.Tests.test_003", "mod.Tests.test_011"))
        self.assertEqual(len(asked), len(set(asked)))
        self.assertEqual(found.trials, len(asked))

    def test_the_fewest_ids_seen_to_reproduce_are_kept_when_stopped(self):
        asked: list[list[str]] = []

        def reproduces(subset):
            if len(asked) == 4:
                raise KeyboardInterrupt
            asked.append(subset)
            return "mod.Tests.test_150" in subset

        search = Search(reproduces, {frozenset(): False})
        with self.assertRaises(KeyboardInterrupt):
            search.minimize(ids(200))
        self.assertIn("mod.Tests.test_150", search.smallest)
        self.assertEqual(len(search.smallest), min(len(s) for s in asked if "mod.Tests.test_150" in s))
        self.assertLess(len(search.smallest), 200)

    def test_the_estimate_is_near_what_one_culprit_takes(self):
        for count in (2, 9, 100, 200, 1000):
            tests = ids(count)
            taken = [minimize(tests, lambda subset, c=c: c in subset).trials for c in tests]
            self.assertLessEqual(abs(bisect_search.estimate(count) - sum(taken) / count), 2.5, (count, taken))


# ------------------------------------------------------------------------------------------------------
# reading trials, commands
# ------------------------------------------------------------------------------------------------------
class TrialReadingTests(unittest.TestCase):
    REPORT = {"tests": [
        {"id": "mod.A.test_a", "outcome": "passed", "message": "",
         "state_changes": [{"probe": "environ", "detail": "os.environ['X'] added ('1')", "restored": False}]},
        {"id": "setUpClass (mod.B)", "outcome": "error", "message": "OSError: down",
         "state_changes": [{"probe": "cwd", "detail": "moved to /tmp", "restored": False}]},
        {"id": "mod.C.test_c", "outcome": "failed", "message": "AssertionError: 1 != 2", "state_changes": []},
    ]}

    def test_a_test_s_outcome_is_its_entry_or_its_failed_class_fixture(self):
        self.assertEqual(bisect_trials.outcome_in(self.REPORT, "mod.C.test_c"), ("failed", "AssertionError: 1 != 2"))
        self.assertEqual(bisect_trials.outcome_in(self.REPORT, "mod.B.test_b[trio]"),
                         ("error", "setUpClass (mod.B): OSError: down"))
        self.assertIsNone(bisect_trials.outcome_in(self.REPORT, "mod.D.test_d"))

    def test_fixture_entries_are_not_tests(self):
        self.assertEqual(bisect_trials.fixture_scope("setUpClass (mod.B)"), "mod.B")
        self.assertEqual(bisect_trials.fixture_scope("setUpModule (pkg.mod)"), "pkg.mod")
        self.assertIsNone(bisect_trials.fixture_scope("mod.B.test_b"))

    def test_state_changes_of_a_fixture_count_for_the_tests_it_ran_for(self):
        before = ["mod.A.test_a", "mod.B.test_b", "mod.B.test_b2", "mod.C.test_c", "mod.BB.test_x"]
        self.assertEqual(bisect_trials.state_changes_before(self.REPORT, before), {
            "mod.A.test_a": (StateChange("environ", "os.environ['X'] added ('1')", False),),
            "mod.B.test_b": (StateChange("cwd", "moved to /tmp", False),),
            "mod.B.test_b2": (StateChange("cwd", "moved to /tmp", False),),
        })

    def test_the_printed_command_quotes_backend_suffixes_and_names_the_import_folders(self):
        command = Command("python runtests.py", 7, "class", ("--strict",), ("src/tests",))
        self.assertEqual(
            command.line(command.selecting(["mod.A.test_a[trio]", "mod.B.test_b"])),
            "PYTHONPATH=src/tests python runtests.py --seed 7 --bucket class --no-restore --strict "
            "'mod.A.test_a[trio]' mod.B.test_b",
        )
        # Ids that do not load their tests as targets: the user's targets, and the tests kept by --id
        by_id = Command("python runtests.py", 7, "class", ("--strict",), ("src/tests",), select_from=("src/tests",))
        self.assertEqual(
            by_id.line(by_id.selecting(["mod.Made.test_a", "mod.helper"])),
            "PYTHONPATH=src/tests python runtests.py --seed 7 --bucket class --no-restore --strict --id "
            "mod.Made.test_a --id mod.helper src/tests",
        )
        self.assertEqual(bisect_trials.short_name("pkg.mod.A.test_a[asyncio+uvloop]"), "test_a[asyncio+uvloop]")

    def test_a_trial_may_take_ten_times_the_full_run_and_at_least_a_minute(self):
        self.assertEqual(bisect_trials.trial_timeout(0.4), 60.0)
        self.assertEqual(bisect_trials.trial_timeout(30.0), 300.0)

    def test_a_trial_that_hangs_is_stopped_and_ends_the_bisection_with_a_message(self):
        with tempfile.TemporaryDirectory() as folder:
            out = io.StringIO()
            trials = Trials(Command("python -m harness", 1, "none", (), (REPO,)),
                            "test_interrupt.BSlowTests.test_sleeps_sync", folder, out)
            trials.cwd, trials.timeout = os.path.join(SAMPLES, "interrupt"), 1.0
            started = time.perf_counter()
            with self.assertRaises(TrialError) as caught:
                trials.run("alone", [], 1)
        self.assertLess(time.perf_counter() - started, 15)
        self.assertEqual(caught.exception.verdict, "inconclusive")
        self.assertRegex(str(caught.exception), r"^trial 1 did not finish in 1 s and was stopped: a test hangs when "
                         r"these tests run together; see which with: PYTHONPATH=\S+ python -m harness --seed 1 "
                         r"--bucket none --no-restore test_interrupt\.BSlowTests\.test_sleeps_sync -v$")
        self.assertEqual(out.getvalue(), "bisect: trial 1 of ~1: test_sleeps_sync alone ... did not finish\n")


# ------------------------------------------------------------------------------------------------------
# end to end
# ------------------------------------------------------------------------------------------------------
def setUpModule():  # noqa: N802
    """Start every bisection at once: each is a few seconds of short trial runs."""
    for args in _RUNS.values():
        _start(*args)


_RUNS = {
    "bound": ("bisect_one_polluter", VICTIM, "--seed", "10", "--no-probes", "all"),
    "not_reproduced": ("bisect_one_polluter", VICTIM, "--seed", "1"),
    "together": ("bisect_two_polluters", BATCHES, "--seed", "23", "--no-probes", "all"),
    "together_probes": ("bisect_two_polluters", BATCHES, "--seed", "23"),
    "fails_alone": ("bisect_two_polluters", JOBS + "test_always_broken", "--seed", "23", "-q"),
    "depends": ("bisect_dependency", USES, "--seed", "10"),
    "depends_fails_first": ("bisect_dependency", USES, "--seed", "8"),
    "in_place": ("bisect_in_place", STALE, "--seed", "2", "--no-probes", "all"),
    "in_place_hint": ("bisect_in_place", STALE, "--seed", "2"),
    "by_id": ("bisect_by_id", "test_settings.mode", "--seed", "4", "--no-probes", "all"),
}


def _start(sample: str, test_id: str, *options: str):
    return start(sample, "--bisect", test_id, *options)


def bisected(name: str) -> Run:
    return _start(*_RUNS[name]).result()


def progress(run: Run) -> list[re.Match[str]]:
    return [match for line in run.lines() if (match := PROGRESS.match(line))]


class OnePolluterTests(unittest.TestCase):
    """200 tests run before the victim; test_137 changes a settings dict in place, which no probe sees."""

    def test_the_polluter_is_named_and_the_last_line_reproduces_the_failure(self):
        run = bisected("bound")
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.lines()[0], f"bisect: {VICTIM} with --seed 10 --bucket module: 200 tests run before it; "
                         "each trial is a fresh process with --no-restore")
        end = run.lines()[run.lines().index("") + 1:]
        self.assertRegex(end[0], rf"^bisect: {re.escape(VICTIM)} fails after this test \(\d+ trials, \d+\.\d s\):$")
        self.assertEqual(end[1:], [
            f"    {POLLUTER}",
            "bisect: this test leaves state behind: put it back in tearDown or a cleanup (or use unittest.mock.patch), "
            "or make the failing test set what it reads",
            f"reproduce with: python -m harness --seed 10 --bucket module --no-restore --no-probes all {POLLUTER} "
            f"{VICTIM}",
        ])
        self.assertEqual(run.stderr, "")

    def test_one_polluter_among_200_takes_at_most_2_log2_n_plus_4_trials(self):
        run = bisected("bound")
        trials = run.report["trials"]
        self.assertEqual([t["kind"] for t in trials[:2]], ["order", "alone"])
        self.assertEqual(len(trials[0]["tests"]), 200)
        self.assertLessEqual(len(trials), bound(200), run.describe())
        self.assertEqual(trials[-1]["kind"], "others")  # the other 199 do not break it: no second polluter
        self.assertEqual((len(trials[-1]["tests"]), trials[-1]["outcome"]), (199, "passed"))

    def test_each_trial_prints_a_progress_line_with_an_estimate_of_the_total(self):
        run = bisected("bound")
        lines = progress(run)
        self.assertEqual([int(m[1]) for m in lines], list(range(1, len(run.report["trials"]) + 1)))
        self.assertEqual(lines[0][3], "the full run (200 tests before test_sees_the_default_mode)")
        self.assertEqual(lines[0][5], ": AssertionError: 'debug' != 'production'")
        self.assertEqual(lines[1].group(3, 4), ("test_sees_the_default_mode alone", "passes"))
        for match, trial in zip(lines, run.report["trials"], strict=True):
            self.assertEqual(match[4], "fails" if trial["outcome"] == "failed" else "passes")
            self.assertLessEqual(abs(int(match[2]) - len(lines)), 4, match[0])

    def test_the_json_records_the_verdict_and_every_trial(self):
        report = bisected("bound").report
        self.assertEqual({key: report[key] for key in (
            "schema_version", "kind", "test", "seed", "bucket", "verdict", "culprits", "minimal", "others_fail",
        )}, {
            "schema_version": 1, "kind": "bisection", "test": VICTIM, "seed": 10, "bucket": "module",
            "verdict": "polluted", "culprits": [POLLUTER], "minimal": True, "others_fail": False,
        })
        self.assertTrue(report["reproduce"].endswith(f"--no-restore --no-probes all {POLLUTER} {VICTIM}"))
        self.assertEqual(set(report["trials"][0]), {"number", "kind", "tests", "outcome", "message", "duration"})

    def test_the_printed_command_fails_the_same_way(self):
        command = shlex.split(bisected("bound").report["reproduce"])
        self.assertEqual(command[:3], ["python", "-m", "harness"])
        done = subprocess.run([sys.executable, *command[1:]], cwd=os.path.join(SAMPLES, "bisect_one_polluter"),
                              env=environment(), capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertEqual(done.stdout.splitlines()[-1], "1 passed, 1 failed, 0 skipped")
        self.assertIn(f"FAIL: {VICTIM}", done.stdout)

    def test_a_test_that_passes_in_the_order_and_alone_is_not_reproduced(self):
        run = bisected("not_reproduced")
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.report["verdict"], "not_reproduced")
        self.assertEqual(len(run.report["trials"]), 2)
        self.assertRegex(run.stdout, rf"\nbisect: {re.escape(VICTIM)} passed in the order of --seed 1 --bucket "
                         r"module, and alone: nothing to bisect \(2 trials, \d+\.\d s\)\nbisect: check that the seed")
        self.assertNotIn("reproduce with", run.stdout)


class UnloadableIdTests(unittest.TestCase):
    """The victim is a doctest and a class is kept under another name than its own: their ids load nothing as targets,
    so the trials load the user's targets and keep their tests with --id, and the printed command does the same."""

    def test_the_polluter_is_named_and_the_printed_command_fails_the_same_way(self):
        run = bisected("by_id")
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.lines()[1], "bisect: some of these tests cannot be loaded by their id (doctests, classes "
                         "made under another name), so each trial loads . and keeps its tests with --id")
        self.assertEqual(run.report["culprits"], ["test_settings.PolluterTests.test_changes_the_mode"], run.describe())
        self.assertEqual(run.report["reproduce"], "python -m harness --seed 4 --bucket module --no-restore --no-probes "
                         "all --id test_settings.PolluterTests.test_changes_the_mode --id test_settings.mode .")
        command = shlex.split(run.report["reproduce"])
        done = subprocess.run([sys.executable, *command[1:]], cwd=os.path.join(SAMPLES, "bisect_by_id"),
                              env=environment(), capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(done.stdout.splitlines()[-1], "1 passed, 1 failed, 0 skipped", done.stdout + done.stderr)
        self.assertIn("FAIL: test_settings.mode", done.stdout)


class TwoPollutersTests(unittest.TestCase):
    """test_batches_are_large fails only after both test_enables_beta and test_lowers_the_limit.

    One sets an environment variable and the other a module attribute: the probes see both.
    """

    def test_two_polluters_needed_together_are_both_named(self):
        for name in ("together", "together_probes"):
            with self.subTest(name):
                run = bisected(name)
                self.assertEqual(run.code, 0, run.describe())
                self.assertEqual((run.report["culprits"], run.report["minimal"]), ([BETA, LIMIT], True))
                self.assertIn(f"bisect: {BATCHES} fails only after these 2 tests together (after either one alone "
                              "it passes) (", run.stdout)
                self.assertEqual(run.lines()[-1], f"reproduce with: {run.report['reproduce']}")
                self.assertRegex(run.report["reproduce"], rf"^python -m harness --seed 23 --bucket module --no-restore "
                                 rf"(--no-probes all )?{BETA} {LIMIT} {BATCHES}$")

    def test_tests_the_probes_saw_changing_state_are_tried_first(self):
        run = bisected("together_probes")
        trials = run.report["trials"]
        self.assertEqual((trials[2]["tests"], trials[2]["outcome"]), ([BETA, LIMIT], "failed"))
        self.assertLess(len(trials), len(bisected("together").report["trials"]))
        changes = run.report["state_changes"]
        self.assertEqual([[c["probe"] for c in changes[test_id]] for test_id in (BETA, LIMIT)],
                         [["environ"], ["attributes"]])
        for test_id in (BETA, LIMIT):
            listed = run.lines().index(f"    {test_id}")
            self.assertEqual(run.lines()[listed + 1], f"        {changes[test_id][0]['probe']}: "
                             f"{changes[test_id][0]['detail']}")

    def test_the_trials_show_that_neither_polluter_is_enough_without_the_other(self):
        trials = bisected("together").report["trials"]
        self.assertIn(([BETA, LIMIT], "failed"), [(t["tests"], t["outcome"]) for t in trials])
        for needed, left_out in ((BETA, LIMIT), (LIMIT, BETA)):
            self.assertTrue(any(t["outcome"] == "passed" and needed in t["tests"] and left_out not in t["tests"]
                                for t in trials if t["kind"] == "search"), (needed, trials))

    def test_a_test_that_fails_alone_is_not_pollution(self):
        run = bisected("fails_alone")
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual((run.report["verdict"], len(run.report["trials"])), ("fails_alone", 2))
        self.assertEqual(progress(run), [], "-q prints no progress lines")
        self.assertRegex(run.stdout, rf"\nbisect: {JOBS}test_always_broken fails on its own too \(AssertionError: 2 "
                         r"!= 3\): other tests do not make it fail \(2 trials, \d+\.\d s\)\n")
        self.assertEqual(run.lines()[-1], f"reproduce with: python -m harness --seed 23 --bucket module --no-restore "
                         f"{JOBS}test_always_broken")


class InPlaceTests(unittest.TestCase):
    """test_no_reindex_is_pending fails only after test_042 and test_077 both appended to a list in a helper module.

    No probe sees a list change in place; the probes see test_013 set an environment variable, which breaks nothing.
    """

    def test_both_are_named_within_k_log2_n_plus_2_plus_4_trials(self):
        run = bisected("in_place")
        self.assertEqual(run.code, 0, run.describe())
        report = run.report
        self.assertEqual((report["verdict"], report["culprits"], report["minimal"], report["others_fail"]),
                         ("polluted", [IMPORTS, MIGRATES], True, False))  # in run order
        self.assertEqual(len(report["trials"][0]["tests"]), 100)
        self.assertLessEqual(len(report["trials"]), bound_together(100, 2), run.describe())
        self.assertIn(f"bisect: {STALE} fails only after these 2 tests together (after either one alone it passes) "
                      f"({len(report['trials'])} trials, ", run.stdout)
        self.assertEqual(len(progress(run)), len(report["trials"]))
        self.assertEqual(run.lines()[-4:-2], [f"    {IMPORTS}", f"    {MIGRATES}"])
        self.assertEqual(run.lines()[-1], f"reproduce with: python -m harness --seed 2 --bucket module --no-restore "
                         f"--no-probes all {IMPORTS} {MIGRATES} {STALE}")

    def test_the_test_the_probes_saw_is_tried_first_and_costs_one_trial_at_most(self):
        run = bisected("in_place_hint")
        self.assertEqual(run.code, 0, run.describe())
        trials = run.report["trials"]
        self.assertEqual((trials[2]["tests"], trials[2]["outcome"]), ([VERBOSE], "passed"))
        self.assertEqual(run.report["culprits"], [IMPORTS, MIGRATES])
        self.assertEqual(run.report["state_changes"], {IMPORTS: [], MIGRATES: []})
        self.assertLessEqual(len(trials), bound_together(100, 2) + 1, run.describe())
        self.assertLessEqual(len(trials), len(bisected("in_place").report["trials"]) + 1)


class DependencyTests(unittest.TestCase):
    """test_uses_the_csv_plugin needs the plugin test_registers_the_csv_plugin registers."""

    def test_the_test_it_depends_on_is_named(self):
        run = bisected("depends")
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual((run.report["verdict"], run.report["culprits"]), ("depends", [REGISTERS]))
        self.assertEqual([t["outcome"] for t in run.report["trials"][:2]], ["passed", "error"])  # a KeyError
        self.assertIn(f"bisect: {USES} fails on its own and passes only after this test: it depends on that test (",
                      run.stdout)
        self.assertIn(f"it passes with: python -m harness --seed 10 --bucket module --no-restore {REGISTERS} {USES}\n",
                      run.stdout)
        self.assertEqual(run.lines()[-1], f"reproduce with: python -m harness --seed 10 --bucket module --no-restore "
                         f"{USES}")
        self.assertLessEqual(len(run.report["trials"]), bound(11))

    def test_in_an_order_where_it_fails_it_is_said_to_fail_alone_with_a_hint(self):
        run = bisected("depends_fails_first")
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("bisect: fix the test itself; if it passes in another seed's order, it may depend on a test "
                      "that runs before it there: run --bisect with that seed to name the test\n", run.stdout)


class UsageTests(unittest.TestCase):
    CASES = {
        (BATCHES,): r"^harness: error: --bisect needs --seed: the seed fixes the order to reproduce; give the one in "
                    r"the failing run's 'rerun this order with' line$",
        ("JobTests.test_batches_are_large", "--seed", "1"): r"^harness: error: --bisect 'JobTests\.test_batches_are_"
                                                            r"large' is not one of the 12 tests collected from \.; "
                                                            r"did you mean 'test_jobs\.JobTests\.test_batches_are_"
                                                            r"large'\?$",
        (JOBS + "test_batches_are_larg", "--seed", "1"): r"^harness: error: .* did you mean 'test_jobs\.JobTests\."
                                                         r"test_batches_are_large'\?$",
        ("nothing.like.it", "--seed", "1"): r"^harness: error: --bisect 'nothing\.like\.it' is not one of the 12 tests "
                                            r"collected from \.; give a test id as the run printed it, such as "
                                            r"'test_jobs\.JobTests\.\w+'$",
    }

    def test_a_missing_seed_or_an_unknown_test_is_one_line_and_exit_code_4(self):
        for args, pattern in self.CASES.items():
            with self.subTest(args=args):
                run = start("bisect_two_polluters", "--bisect", *args, json_report=False).result()
                self.assertEqual((run.code, run.stdout), (4, ""), run.describe())
                self.assertRegex(run.stderr.rstrip("\n"), pattern)
                self.assertEqual(len(run.stderr.splitlines()), 1)


class InterruptTests(unittest.TestCase):
    """Ctrl-C or SIGTERM stops the running trial, prints what is known, writes the JSON and exits 2."""

    def bisect_until(self, sample: str, args: list[str], ready, signum: int, env: dict[str, str] | None = None):
        """Start a bisection, send `signum` once `ready(lines so far)` holds; its exit code, output, JSON and how
        long it took to stop."""
        folder = tempfile.TemporaryDirectory(prefix="harness-bisect-test-")
        self.addCleanup(folder.cleanup)
        json_path = os.path.join(folder.name, "bisect.json")
        process = subprocess.Popen(
            [sys.executable, "-m", "harness", "--json", json_path, *args], cwd=os.path.join(SAMPLES, sample),
            env=environment(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
        reader.start()
        deadline = time.monotonic() + TIMEOUT
        while not ready(lines) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signum)
        stopped = time.monotonic()
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("the bisection did not stop after the signal") from None
        took = time.monotonic() - stopped
        reader.join(TIMEOUT)
        stdout, stderr = "".join(lines), process.stderr.read()
        process.stdout.close()
        process.stderr.close()
        self.assertTrue(os.path.exists(json_path), stdout + stderr)
        with open(json_path, encoding="utf-8") as file:
            return process.returncode, stdout, stderr, json.load(file), took

    def test_a_signal_during_the_full_run_stops_its_process(self):
        for signum, how in ((signal.SIGINT, "interrupted (Ctrl-C)"), (signal.SIGTERM, "terminated (SIGTERM)")):
            with self.subTest(signal.Signals(signum).name):
                folder = tempfile.TemporaryDirectory(prefix="harness-bisect-marker-")
                self.addCleanup(folder.cleanup)
                marker = os.path.join(folder.name, "started")
                code, stdout, stderr, report, took = self.bisect_until(
                    "interrupt", ["--bisect", "test_interrupt.BSlowTests.test_sleeps_sync", "--seed", "1", "--bucket",
                                  "none", "test_interrupt.AQuickTests", "test_interrupt.BSlowTests"],
                    lambda lines, marker=marker: os.path.exists(marker), signum,
                    {"HARNESS_SAMPLE_MARKER": marker})
                self.assertEqual(code, 2, stdout + stderr)
                self.assertLess(took, 10)
                self.assertIn("bisect: trial 1 of ~3: the full run (1 test before test_sleeps_sync) ... stopped\n",
                              stdout)
                self.assertRegex(stdout, rf"\nbisect: {re.escape(how)} during trial 1 \(0 trials, \d+\.\d s\)\n"
                                 r"bisect: nothing narrowed down yet\n$")
                self.assertEqual((report["verdict"], report["trials"], report["culprits"]), ("interrupted", [], []))
                self.assertEqual(stderr, "")
                if os.path.isdir("/proc/self"):
                    self.assertEqual(_processes_with(marker), [], "the trial is still running")

    def test_a_signal_during_the_search_reports_the_fewest_tests_seen_to_break_it(self):
        seen: list[float] = []

        def after_a_failing_search_trial(lines):  # fewer than the 200 tests before it made it fail
            if not seen and any((match := PROGRESS.match(line)) and match[4] == "fails"
                                and re.fullmatch(r"1?\d{1,2} tests before .*", match[3]) for line in lines):
                seen.append(time.monotonic())
            return bool(seen) and time.monotonic() > seen[0] + 0.1  # the search has taken in its answer

        code, stdout, _, report, _ = self.bisect_until(
            "bisect_one_polluter", ["--bisect", VICTIM, "--seed", "10", "--no-probes", "all", "."],
            after_a_failing_search_trial, signal.SIGINT)
        self.assertEqual(code, 2, stdout)
        self.assertEqual((report["verdict"], report["minimal"]), ("interrupted", False))
        self.assertIn(POLLUTER, report["culprits"])
        self.assertLess(len(report["culprits"]), 200)
        self.assertIn(f"bisect: so far: {VICTIM} fails after {len(report['culprits'])} tests, not narrowed down yet "
                      "(the command below runs them)\n", stdout)
        self.assertEqual(stdout.splitlines()[-1], f"reproduce with: {report['reproduce']}")
        self.assertTrue(report["reproduce"].endswith(f" {VICTIM}"))


def _processes_with(marker: str) -> list[str]:
    """Processes whose environment holds `marker` (Linux)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as file:
                if marker.encode() in file.read():
                    found.append(pid)
        except OSError:
            continue
    return found
