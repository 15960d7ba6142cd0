"""Tools for flaky tests, end to end: --repeat N runs each test N times, --until-failure runs until a seed fails."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from harness import cli
from harness.run import order
from tests.support import SAMPLES, TIMEOUT, environment, start

FLAKY = "test_flaky.FlakyTests.test_sometimes_fails"
STEADY = ("test_flaky.SteadyTests.test_passes", "test_flaky.SteadyTests.test_also_passes")
ROUND = re.compile(r"^until-failure: round (\d+), --seed (\d+)$")


class RepeatTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        runs = {
            "all": start("flaky", "-v", "--seed", "1", "--repeat", "3", junit=True),
            "one run": start("flaky", "--seed", "1", "--repeat", "3", targets=(f"{FLAKY}#2",)),
            "a class": start("flaky", "--seed", "1", "--repeat", "2", targets=("test_flaky.SteadyTests",)),
            "second runs": start("flaky", "--seed", "1", "--repeat", "3", "-k", "#2"),
            "once": start("flaky", "--seed", "1", "--repeat", "1"),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}

    def test_each_test_runs_n_times_with_a_numbered_id(self):
        run = self.runs["all"]
        expected = {f"{test_id}#{number}" for test_id in (FLAKY, *STEADY) for number in (1, 2, 3)}
        self.assertEqual(set(run.outcomes), expected)
        self.assertEqual(run.lines()[-1], "8 passed, 1 failed, 0 skipped")
        self.assertRegex(run.stdout, r"\nran 9 tests in ")

    def test_each_run_gets_its_own_random_numbers_from_the_seed_and_its_id(self):
        outcomes = self.runs["all"].outcomes
        self.assertEqual([outcomes[f"{FLAKY}#{number}"] for number in (1, 2, 3)], ["passed", "failed", "passed"])

    def test_the_runs_are_shuffled_like_any_test(self):
        run = self.runs["all"]
        places = [order.Placement(test_id.rpartition(".")[0].rpartition(".")[0],
                                  test_id.split(".")[1], test_id) for test_id in sorted(run.order)]
        expected = [places[i].test_id for i in order.shuffle(places, 1, "module")]
        self.assertEqual(run.order, expected)

    def test_class_fixtures_run_once_per_class_as_without_repeat(self):
        run = self.runs["all"]
        self.assertEqual(run.stdout.count("setUpClass SteadyTests"), 1, run.describe())
        self.assertTrue(all(run.outcomes[f"{test_id}#{n}"] == "passed" for test_id in STEADY for n in (1, 2, 3)))

    def test_junit_names_keep_the_run_number(self):
        names = {case.get("name") for case in self.runs["all"].junit.iter("testcase")}
        self.assertIn("test_sometimes_fails#2", names)

    def test_a_target_ending_in_a_run_number_selects_that_run(self):
        run = self.runs["one run"]
        self.assertEqual(run.outcomes, {f"{FLAKY}#2": "failed"}, run.describe())

    def test_a_target_without_a_run_number_selects_every_run(self):
        run = self.runs["a class"]
        self.assertEqual(set(run.outcomes), {f"{test_id}#{n}" for test_id in STEADY for n in (1, 2)})

    def test_k_sees_the_run_number(self):
        self.assertEqual(set(self.runs["second runs"].outcomes), {f"{t}#2" for t in (FLAKY, *STEADY)})

    def test_repeat_1_is_a_plain_run(self):
        self.assertEqual(set(self.runs["once"].outcomes), {FLAKY, *STEADY})


class UntilFailureTests(unittest.TestCase):
    """Seed 4 passes (checked below), so round 1 passes; a later round, with a new seed, fails soon."""

    @classmethod
    def setUpClass(cls):
        runs = {
            "flaky": start("flaky", "-q", "--until-failure", "--seed", "4", "--repeat", "3", "-k", "sometimes_fails#"),
            "seed 4": start("flaky", "-q", "--seed", "4", "--repeat", "3", "-k", "sometimes_fails#"),
            "bad target": start("flaky", "--until-failure", targets=("no_such_module",), json_report=False),
            "no tests": start("empty", "--until-failure", json_report=False),
        }
        cls.runs = {name: run.result() for name, run in runs.items()}
        cls.rounds = [ROUND.match(line).groups() for line in cls.runs["flaky"].lines() if ROUND.match(line)]
        last = cls.runs["flaky"].lines()[-1]
        cls.command = last.partition("; run it again with: ")[2]

    def test_the_first_round_uses_the_seed_given(self):
        self.assertEqual(self.runs["seed 4"].code, 0, self.runs["seed 4"].describe())
        self.assertEqual(self.rounds[0], ("1", "4"))

    def test_it_stops_at_the_first_failing_round_with_its_exit_code(self):
        run = self.runs["flaky"]
        self.assertEqual(run.code, 1, run.describe())
        self.assertGreater(len(self.rounds), 1)
        self.assertEqual([int(number) for number, _ in self.rounds], list(range(1, len(self.rounds) + 1)))
        self.assertEqual(len({seed for _, seed in self.rounds}), len(self.rounds))

    def test_it_prints_the_failing_seed_in_a_command_to_paste(self):
        number, seed = self.rounds[-1]
        last = self.runs["flaky"].lines()[-1]
        self.assertRegex(last, rf"^until-failure: round {number} failed; run it again with: python -m harness "
                               rf"--seed {seed} -k 'sometimes_fails#' --quiet --json \S+ --repeat 3 \.$")

    def test_the_report_describes_the_failing_round(self):
        report = self.runs["flaky"].report
        self.assertEqual(report["seed"], int(self.rounds[-1][1]))
        self.assertIn("failed", {entry["outcome"] for entry in report["tests"]})

    def test_the_printed_command_fails_again(self):
        args = shlex.split(self.command)[3:]  # after "python -m harness"
        self.assertIn("--seed", args)
        folder = tempfile.TemporaryDirectory(prefix="harness-rerun-")
        self.addCleanup(folder.cleanup)
        args[args.index("--json") + 1] = os.path.join(folder.name, "again.json")
        done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=os.path.join(SAMPLES, "flaky"),
                              env=environment(), capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        failed = re.findall(r"FAIL: (\S+)", done.stdout)
        self.assertEqual(failed, re.findall(r"FAIL: (\S+)", self.runs["flaky"].stdout))

    def test_a_bad_target_stops_the_first_round_with_one_line(self):
        run = self.runs["bad target"]
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: target 'no_such_module' names no module .*\n$")
        self.assertRegex(run.stdout, r"^until-failure: round 1, --seed \d+\n$")

    def test_no_tests_stops_the_first_round_with_exit_code_5(self):
        run = self.runs["no tests"]
        self.assertEqual(run.code, 5, run.describe())
        self.assertEqual(run.stderr, "harness: no tests collected from .\n")


class UntilFailureInterruptTests(unittest.TestCase):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) ends the rounds with code 2."""

    def test_ctrl_c_ends_the_rounds_with_code_2_and_the_interrupted_rounds_report(self):
        with tempfile.TemporaryDirectory(prefix="harness-rounds-") as folder:
            marker, report = os.path.join(folder, "started"), os.path.join(folder, "report.json")
            process = subprocess.Popen(
                [sys.executable, "-m", "harness", "--until-failure", "--bucket", "none", "--json", report,
                 "test_interrupt.AQuickTests.test_quick", "test_interrupt.BSlowTests.test_sleeps_sync"],
                cwd=os.path.join(SAMPLES, "interrupt"), env=environment({"HARNESS_SAMPLE_MARKER": marker}),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            )
            deadline = time.monotonic() + TIMEOUT
            while not os.path.exists(marker) and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.01)
            time.sleep(0.1)
            os.killpg(process.pid, signal.SIGINT)
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            with open(report, encoding="utf-8") as file:
                written = json.load(file)
        self.assertEqual(process.returncode, 2, stdout + stderr)
        self.assertTrue(written["interrupted"])
        self.assertRegex(stdout.splitlines()[-1], r"^until-failure: round 1 was interrupted; run it again with: "
                                                  r"python -m harness --seed \d+ --bucket none --json ")
        self.assertNotIn("Traceback", stderr)


class CommandLineRoundTripTests(unittest.TestCase):
    def test_every_option_goes_back_to_the_command_line(self):
        dests = set(vars(cli.build_parser().parse_args([])))
        self.assertEqual(dests - set(cli._TO_ARGV), set(), "options that --until-failure's rounds would drop")

    def test_given_reads_back_what_to_argv_writes(self):
        options = {
            "targets": ("-odd", "mod.C.test_x[trio]#2"), "seed": 3, "bucket": "class", "keywords": ("-dash", "a b"),
            "pattern": "check_*.py", "failfast": True, "verbosity": 0, "durations": 0, "capture": False,
            "json": "-r.json", "junit_xml": "r.xml", "strict": True, "teardown_timeout": 0.25, "restore": False,
            "probes": ("m:P", "n:Q"), "disable_probes": ("environ",), "repeat": 4, "backend": "asyncio+uvloop",
            "shard": (2, 3), "durations_from": "-d.json",
        }
        self.assertEqual(cli.given(cli.to_argv(options)), options)
