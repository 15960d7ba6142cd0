"""Worker processes: a test that crashes or hangs costs that test, and -j N splits the run by seed."""
from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from harness.run.lanes import split
from harness.run.order import Placement
from tests.support import SAMPLES, TIMEOUT, environment, run_harness, start

CRASH = "test_crashes.CrashTests."
HANG = "test_crashes.HangTests."


class CrashTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.crashed = start("crashes", "--seed", "1", "-v", junit=True).result()

    def test_every_test_has_an_outcome_and_the_run_ends_with_the_summary(self):
        self.assertEqual(self.crashed.code, 1, self.crashed.describe())
        self.assertEqual(self.crashed.outcomes, {
            CRASH + "test_os_exit": "error", CRASH + "test_segfault": "error", CRASH + "test_killed": "error",
            CRASH + "test_sys_exit": "error", CRASH + "test_passes": "passed",
            HANG + "test_sleeps_forever": "error", HANG + "test_passes_after_the_hang": "passed",
            "test_after.AfterTests.test_runs": "passed",
            "test_after.ForksTests.test_forks_a_child_that_does_not_exit": "passed",
        }, self.crashed.describe())
        self.assertEqual(self.crashed.lines()[-1], "4 passed, 5 failed, 0 skipped")
        self.assertEqual(len(list(self.crashed.junit.iter("testcase"))), 9)
        self.assertNotIn("Traceback", self.crashed.stderr)

    def test_a_child_forked_by_a_test_does_not_run_the_rest_of_the_tests(self):
        self.assertIn("harness: a process forked by a test went on to run harness's own code; it stops here",
                      self.crashed.stderr)
        for test_id in self.crashed.tests:
            self.assertEqual(sum(line.startswith(test_id + " ... ") for line in self.crashed.lines()), 1, test_id)

    def test_a_crash_names_how_the_process_ended(self):
        messages = {test_id: entry["message"] for test_id, entry in self.crashed.tests.items()}
        self.assertEqual(messages[CRASH + "test_segfault"],
                         "crashed: was killed by signal SIGSEGV (a segmentation fault: a crash in C code)")
        self.assertTrue(messages[CRASH + "test_killed"].startswith("crashed: was killed by signal SIGKILL"))
        self.assertTrue(messages[CRASH + "test_os_exit"].startswith("crashed: exited with status 3"))
        self.assertEqual(messages[CRASH + "test_sys_exit"], "SystemExit: 2")  # an error of the test, no crash

    def test_a_crash_shows_the_last_output_of_that_test_only(self):
        os_exit = self.crashed.test("test_os_exit")["longrepr"]
        self.assertIn("--- last stdout output ---\nlast words before os._exit", os_exit)
        killed = self.crashed.test("test_killed")["longrepr"]
        self.assertNotIn("last words", killed)  # printed by another test, in another worker

    def test_a_segfault_shows_where_the_test_was(self):
        longrepr = self.crashed.test("test_segfault")["longrepr"]
        self.assertRegex(longrepr, r'File ".*test_crashes\.py", line \d+ in test_segfault')
        self.assertIn("about to segfault", longrepr)
        self.assertNotIn("harness/run/runner.py", longrepr)  # harness's own frames are left out

    def test_a_sync_test_past_its_timeout_is_stopped_with_every_threads_stack(self):
        entry = self.crashed.test("test_sleeps_forever")
        self.assertTrue(entry["message"].startswith(
            "timed out after 0.5 s in HangTests.test_sleeps_forever (limit from the class's timeout attribute) and "
            "its worker process was stopped after 0."), entry["message"])
        self.assertRegex(entry["longrepr"], r'File ".*test_crashes\.py", line \d+ in test_sleeps_forever')
        self.assertEqual(len(re.findall(r"^(Current thread|Thread) 0x", entry["longrepr"], re.M)), 2)
        self.assertIn("threading.py", entry["longrepr"])  # the helper thread, waiting
        self.assertLess(entry["duration"], 3)
        self.assertLess(self.crashed.elapsed, 10)

    def test_progress_shows_every_test_once(self):
        for test_id in self.crashed.tests:
            self.assertEqual(sum(line.startswith(test_id + " ... ") for line in self.crashed.lines()), 1, test_id)


class ParallelTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.first = start("jobs", "--seed", "5", "-j", "2").result()
        cls.second = start("jobs", "--seed", "5", "-j", "2", "-v", fresh=True).result()

    def test_the_report_records_each_workers_sequence(self):
        report = self.first.report
        self.assertEqual(self.first.code, 0, self.first.describe())
        self.assertEqual(report["jobs"], 2)
        self.assertEqual(len(report["workers"]), 2)
        self.assertEqual(sorted(sum(report["workers"], [])), sorted(report["order"]))
        for sequence in report["workers"]:  # a module's tests stay in one worker, in the run's order
            self.assertEqual(sequence, [test_id for test_id in report["order"] if test_id in sequence])
        modules = [{test_id.split(".")[0] for test_id in sequence} for sequence in report["workers"]]
        self.assertFalse(modules[0] & modules[1])

    def test_the_same_seed_gives_the_same_split(self):
        self.assertEqual(self.first.report["workers"], self.second.report["workers"])
        self.assertIn("2 workers (-j 2; rerun one worker's tests alone with --worker K/2)", self.first.stdout)

    def test_the_workers_are_different_processes(self):
        pids = [{self.first.tests[t]["stdout"] for t in sequence if t.endswith("test_3")}
                for sequence in self.first.report["workers"]]
        self.assertEqual(len(pids[0]), 1)
        self.assertEqual(len(pids[1]), 1)
        self.assertNotEqual(pids[0], pids[1])

    def test_one_worker_replays_alone_in_its_order(self):
        for number in (1, 2):
            with self.subTest(worker=number):
                replay = run_harness("jobs", "--seed", "5", "--worker", f"{number}/2")
                self.assertEqual(replay.code, 0, replay.describe())
                self.assertEqual(replay.order, self.first.report["workers"][number - 1])
                self.assertEqual(list(replay.tests), replay.order)

    def test_bad_worker_counts_are_usage_errors(self):
        for args, expected in (
            (("-j", "0"), "'0' workers: use a whole number from 1 up, or auto"),
            (("-j", "many"), "'many' is not a number of workers"),
            (("--worker", "3/2"), "K must be from 1 to N"),
            (("--worker", "two"), "'two' is not K/N"),
        ):
            with self.subTest(args=args):
                run = run_harness("jobs", *args, json_report=False)
                self.assertEqual(run.code, 4, run.describe())
                self.assertEqual(len(run.stderr.splitlines()), 1, run.stderr)
                self.assertIn(expected, run.stderr)

    def test_failfast_stops_every_worker(self):
        run = run_harness("crashes", "-x", "-j", "2", "--seed", "1")
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(sum(1 for outcome in run.outcomes.values() if outcome != "passed"), 1, run.outcomes)


class FixtureCrashTests(unittest.TestCase):
    def test_a_class_whose_fixture_kills_the_worker_is_skipped_and_the_rest_runs(self):
        run = run_harness("fixture_crash", "--bucket", "none", "--seed", "1")
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.outcomes, {"worker 1": "error", "test_fixture_crash.BFineTests.test_1": "passed"})
        self.assertIn("exited with status 7 before test_fixture_crash.ACrashesInSetUpClassTests.test_1 started",
                      run.tests["worker 1"]["message"])
        self.assertIn("2 tests of test_fixture_crash.ACrashesInSetUpClassTests did not run",
                      run.tests["worker 1"]["message"])


class HangUnderJobsTests(unittest.TestCase):
    def test_the_other_worker_is_followed_while_a_hung_ones_replacement_runs(self):
        run = run_harness("hang_parallel", "--seed", "1", "--bucket", "none", "-j", "2")
        self.assertEqual(run.code, 1, run.describe())
        done = [entry["id"] for entry in run.report["tests"]]
        # the replacement worker's test takes 1 s; the other worker reports twice meanwhile, and is read as it does
        self.assertLess(done.index("test_other_module.BOtherTests.test_2"),
                        done.index("test_hangs_first.AHangsTests.test_2_after"), done)
        self.assertEqual(run.outcomes["test_hangs_first.AHangsTests.test_1_hangs"], "error")


class LoadingTests(unittest.TestCase):
    """Each worker loads the tests itself; the runner imports none of what they need to run them."""

    def test_the_runner_imports_no_event_loop_coverage_or_unittest(self):
        found = subprocess.run(
            [sys.executable, "-c", "import sys, harness.cli; print(' '.join(sorted(sys.modules)))"],
            env=environment(), capture_output=True, text=True, check=True,
        ).stdout.split()
        heavy = {"asyncio", "anyio", "trio", "coverage", "unittest", "harness.run.runner", "harness.run.planning",
                 "harness.run.loader"}
        self.assertEqual([name for name in found if name.partition(".")[0] in heavy or name in heavy], [])

    def test_what_loading_prints_is_shown_once_before_the_header(self):
        run = start("loading", "--seed", "1", "-j", "2").result()
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.lines()[:2], [
            "test_loud imported",
            "harness 0.1.0 on Python {}.{}.{}: 2 tests, bucket module, --seed 1, 2 workers (-j 2; rerun one worker's "
            "tests alone with --worker K/2)".format(*sys.version_info[:3]),
        ])
        self.assertEqual(len(run.report["workers"]), 2)

    def test_ctrl_c_while_loading_stops_the_run_with_its_summary_line(self):
        with tempfile.TemporaryDirectory() as folder:
            marker = os.path.join(folder, "loading")
            process = subprocess.Popen(
                [sys.executable, "-m", "harness", "--seed", "1", "."], cwd=os.path.join(SAMPLES, "loading"),
                env=environment({"LOADING_SAMPLE_STALL": marker}), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, start_new_session=True,
            )
            deadline = time.monotonic() + TIMEOUT
            while not os.path.exists(marker) and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.01)
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's whole group
            stdout, stderr = process.communicate(timeout=TIMEOUT)
        self.assertEqual(process.returncode, 2, stdout + stderr)
        self.assertEqual(stdout.splitlines()[-1], "0 passed, 0 failed, 0 skipped", stdout + stderr)
        self.assertIn("harness: interrupted before any test ran", stderr)

    def test_a_worker_that_loads_other_tests_is_an_error_and_the_rest_runs(self):
        run = start("unstable_loading", "--seed", "1", "-j", "2").result()  # a test is named after its process
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.outcomes["worker 2"], "error", run.describe())
        self.assertRegex(run.tests["worker 2"]["message"], r"^worker 2 loaded and ordered the tests differently "
                         r"from the first worker, so its tests did not run: .* the time, the environment or a random "
                         r"source other than `random`$")
        self.assertEqual(sorted(o for i, o in run.outcomes.items() if i != "worker 2"), ["passed"], run.describe())

    def test_a_replacement_that_loads_other_tests_says_so(self):
        run = start("unstable_loading", "--seed", "1", "--bucket", "none",
                    env={"UNSTABLE_SAMPLE_CRASH": "1"}).result()
        self.assertEqual(run.code, 1, run.describe())
        self.assertEqual(run.tests["test_steady.Steady.test_a_crashes_when_asked"]["outcome"], "error")
        self.assertRegex(run.tests["worker 1"]["message"], r"^the worker that took over lane 1 after its worker ended "
                         r"loaded and ordered the tests differently from the first worker")

    def test_a_worker_that_dies_while_loading_fails_the_run_with_what_to_do(self):
        for jobs in ("1", "2"):
            run = start("loading", "--seed", "1", "-j", jobs, junit=True,
                        env={"LOADING_SAMPLE_EXIT": "1"}).result()
            self.assertEqual(run.code, 1, run.describe())
            self.assertEqual(run.lines()[0], "test_loud imported", run.describe())
            self.assertEqual(run.lines()[-1], "0 passed, 1 failed, 0 skipped", run.describe())
            self.assertEqual(run.outcomes, {"(loading the tests)": "error"})
            self.assertRegex(run.tests["(loading the tests)"]["message"],
                             r"^the worker process loading the tests exited with status 7 before it planned them, so "
                             r"no test ran: a test module that crashes as it is imported\? Import each one alone to "
                             r"find it \(python -c 'import MODULE'\)$")
            [error] = run.junit.iter("error")
            self.assertIn("exited with status 7", error.get("message"))


class DurationsSplitTests(unittest.TestCase):
    """-j 2 with --durations-from: one module, a slow class of 3 tests (1 s each) and 6 fast classes of 5 (0.1 s)."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-durations-")
        cls.durations = os.path.join(cls.folder.name, "durations.json")
        by_count = run_harness("jobs_durations", "--seed", "3", "-j", "2")
        cls.by_count = by_count
        with open(cls.durations, "w", encoding="utf-8") as file:
            json.dump({"tests": [{"id": test_id, "duration": 1.0 if ".SlowTests." in test_id else 0.1}
                                 for test_id in by_count.report["order"]]}, file)
        cls.balanced = run_harness("jobs_durations", "--seed", "3", "-j", "2", "--durations-from", cls.durations)

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def test_without_durations_the_module_stays_in_one_worker(self):
        self.assertEqual(self.by_count.code, 0, self.by_count.describe())
        self.assertEqual([len(lane) for lane in self.by_count.report["workers"]], [33])

    def test_the_lanes_planned_durations_are_balanced_and_each_worker_runs_setupmodule(self):
        # every test checks that setUpModule ran in its process
        self.assertEqual(self.balanced.code, 0, self.balanced.describe())
        lanes = self.balanced.report["workers"]
        planned = [sum(1.0 if ".SlowTests." in test_id else 0.1 for test_id in lane) for lane in lanes]
        self.assertEqual(len(lanes), 2)
        self.assertLessEqual(abs(planned[0] - planned[1]), 0.1 * max(planned), planned)
        classes = [{test_id.rsplit(".", 1)[0] for test_id in lane} for lane in lanes]
        self.assertFalse(classes[0] & classes[1], "a class's tests stay in one worker")
        for lane in lanes:
            self.assertEqual(lane, [test_id for test_id in self.balanced.report["order"] if test_id in lane])
        report = self.balanced.report
        self.assertEqual((report["workers_balance"], report["workers_durations_from"]), ("durations", self.durations))
        self.assertIn(f"2 workers (-j 2, balanced by durations in {self.durations}; rerun one worker's tests alone "
                      f"with --worker K/2 --durations-from {self.durations})", self.balanced.stdout)
        self.assertEqual(self.by_count.report["workers_balance"], "count")

    def test_a_worker_replays_its_lane_with_the_same_durations_file(self):
        for number in (1, 2):
            with self.subTest(worker=number):
                replay = run_harness("jobs_durations", "--seed", "3", "--worker", f"{number}/2", "--durations-from",
                                     self.durations)
                self.assertEqual(replay.code, 0, replay.describe())
                self.assertEqual(replay.report["order"], self.balanced.report["workers"][number - 1])


class CacheBalanceTests(unittest.TestCase):
    """-j with a warm cache: split by the durations the last run recorded, into a file that replays the split."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-cache-balance-")
        cls.addClassCleanup(cls.folder.cleanup)
        cls.cache = os.path.join(cls.folder.name, "cache")
        cold = os.path.join(cls.folder.name, "cold")
        by_count = cls._run(cold)
        cls.cold = by_count
        os.makedirs(cls.cache)
        cls.recorded = {test_id: 1.0 if ".SlowTests." in test_id else 0.1 for test_id in by_count.report["order"]}
        with open(os.path.join(cls.cache, "lastrun.json"), "w", encoding="utf-8") as file:
            json.dump({"version": 1, "failed": [], "durations": cls.recorded}, file)
        cls.warm = cls._run(cls.cache)  # then writes the durations it measured over the recorded ones
        cls.split_file = cls.warm.report["workers_durations_from"]
        cls.replays = [run_harness("jobs_durations", "--seed", "3", "--worker", f"{number}/2", "--durations-from",
                                   cls.split_file) for number in (1, 2)]

    @staticmethod
    def _run(cache_dir: str):
        return start("jobs_durations", "--seed", "3", "-j", "2", "--cache-dir", cache_dir, fresh=True,
                     env={"HARNESS_CACHE_WRITES": "all"}).result()

    def test_a_cold_cache_splits_by_count(self):
        self.assertEqual(self.cold.code, 0, self.cold.describe())
        self.assertEqual((self.cold.report["workers_balance"], self.cold.report["workers_durations_from"]),
                         ("count", None))

    def test_a_warm_cache_balances_the_lanes_by_its_durations(self):
        self.assertEqual(self.warm.code, 0, self.warm.describe())
        lanes = self.warm.report["workers"]
        planned = [sum(self.recorded[test_id] for test_id in lane) for lane in lanes]
        self.assertEqual(len(lanes), 2)
        self.assertLessEqual(abs(planned[0] - planned[1]), 0.1 * max(planned), planned)
        self.assertEqual(self.warm.report["workers_balance"], "durations")
        self.assertEqual(os.path.dirname(self.split_file), os.path.join(self.cache, "splits"))
        self.assertIn(f"balanced by durations in {self.split_file}; rerun one worker's tests alone with --worker K/2 "
                      f"--durations-from {self.split_file})", self.warm.stdout)

    def test_the_split_file_replays_each_lane_after_the_cache_moved_on(self):
        with open(os.path.join(self.cache, "lastrun.json"), encoding="utf-8") as file:
            self.assertNotEqual(json.load(file)["durations"], self.recorded, "the run should record its own")
        for number, replay in enumerate(self.replays, start=1):
            with self.subTest(worker=number):
                self.assertEqual(replay.code, 0, replay.describe())
                self.assertEqual(replay.report["order"], self.warm.report["workers"][number - 1])


class SplitTests(unittest.TestCase):
    """harness.run.lanes.split on its own: a pure function of the order, the number of workers and the durations."""

    @staticmethod
    def places(classes: dict[str, int], module: str = "mod") -> list:
        return [Placement(module, cls, f"{module}.{cls}.test_{n}") for cls, count in classes.items()
                for n in range(count)]

    def test_without_durations_a_module_s_run_goes_to_the_worker_with_fewest_tests(self):
        places = self.places({"A": 3}, "one") + self.places({"B": 2}, "two") + self.places({"C": 2}, "three")
        self.assertEqual(split(places, 2), ((0, 1, 2), (3, 4, 5, 6)))
        self.assertEqual(split(places, 2, {}), split(places, 2))
        self.assertEqual(split(places, 2, {"other.X.test_0": 5.0}), split(places, 2))

    def test_longest_class_first_onto_the_least_loaded_worker(self):
        places = self.places({"Slow": 2, "F1": 2, "F2": 2, "F3": 2})
        recorded = {place.test_id: 3.0 if place.cls == "Slow" else 1.0 for place in places}
        self.assertEqual(split(places, 2, recorded), ((0, 1), (2, 3, 4, 5, 6, 7)))
        self.assertEqual(split(places, 3, recorded), ((0, 1), (2, 3, 6, 7), (4, 5)))

    def test_a_test_not_recorded_weighs_the_median_of_those_that_are(self):
        places = self.places({"A": 1, "B": 1, "C": 1, "D": 1})
        lanes = split(places, 2, {"mod.A.test_0": 4.0, "mod.B.test_0": 1.0, "mod.C.test_0": 1.0})
        self.assertEqual(lanes, ((0,), (1, 2, 3)))  # D weighs 1.0

    def test_every_test_is_in_one_lane_in_the_order_and_the_split_is_the_same_each_time(self):
        rng = random.Random(2)
        for _ in range(200):
            places = [place for number in range(rng.randint(1, 8))
                      for place in self.places({f"C{c}": rng.randint(1, 5) for c in range(rng.randint(1, 4))},
                                               f"m{number}")]
            recorded = {place.test_id: rng.random() for place in places if rng.random() < 0.8}
            jobs = rng.randint(1, 4)
            lanes = split(places, jobs, recorded)
            self.assertEqual(sorted(i for lane in lanes for i in lane), list(range(len(places))))
            self.assertTrue(all(list(lane) == sorted(lane) for lane in lanes))
            self.assertEqual(lanes, split(places, jobs, dict(reversed(list(recorded.items())))))
            self.assertLessEqual(len(lanes), jobs)
