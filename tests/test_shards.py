"""Shards: --shard K/N runs a seeded, disjoint share of the order, and harness combine merges the shards' reports."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from typing import Any

from harness.run import shards
from harness.run.order import Placement
from tests.support import REPO, SAMPLES, TIMEOUT, Run, environment, run_harness, start

SAMPLE = "shards"
MODULES = {"test_alpha", "test_beta", "test_gamma", "test_delta", "test_epsilon", "test_zeta"}


def combine(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m harness combine ARGS` in the sample's folder."""
    return subprocess.run([sys.executable, "-m", "harness", "combine", *args], cwd=os.path.join(SAMPLES, SAMPLE),
                          env=environment(), capture_output=True, text=True, timeout=TIMEOUT)


def saved(folder: str, name: str, report: dict[str, Any] | None) -> str:
    """`report` written to FOLDER/NAME, for combine to read."""
    assert report is not None
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as file:
        json.dump(report, file)
    return path


def module_of(test_id: str) -> str:
    return test_id.partition(".")[0]


class ShardTests(unittest.TestCase):
    """Shards 1/3, 2/3 and 3/3 of the `shards` sample with --seed 5, their combined reports, and a serial run."""

    @classmethod
    def setUpClass(cls):
        serial = start(SAMPLE, "--seed", "5", junit=True)
        started = [start(SAMPLE, "--seed", "5", "--shard", f"{k}/3", junit=True) for k in (1, 2, 3)]
        cls.serial = serial.result()
        cls.shards: list[Run] = [s.result() for s in started]
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-shards-")
        cls.paths = [saved(cls.folder.name, f"shard{k}.json", run.report) for k, run in enumerate(cls.shards, 1)]
        cls.combined_json = os.path.join(cls.folder.name, "out", "combined.json")
        cls.combined_xml = os.path.join(cls.folder.name, "out", "combined.xml")
        cls.combined = combine("--json", cls.combined_json, "--junit-xml", cls.combined_xml, *cls.paths)
        with open(cls.combined_json, encoding="utf-8") as file:
            cls.combined_report = json.load(file)

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def test_shards_are_disjoint_and_their_union_is_the_whole_suite(self):
        orders = [run.order for run in self.shards]
        everything = [test_id for order in orders for test_id in order]
        self.assertEqual(len(everything), len(set(everything)), orders)
        self.assertEqual(sorted(everything), sorted(self.serial.order))
        for order in orders:
            self.assertTrue(order, orders)  # 16 tests in 6 modules: every one of 3 shards has some
            self.assertEqual(order, [test_id for test_id in self.serial.order if test_id in order])

    def test_a_module_stays_on_one_shard(self):
        owners = {module: {k for k, run in enumerate(self.shards, 1) for t in run.order if module_of(t) == module}
                  for module in MODULES}
        self.assertEqual({module: len(found) for module, found in owners.items()}, dict.fromkeys(MODULES, 1))

    def test_each_shard_runs_its_tests_and_reports_its_shard_and_the_whole_plan(self):
        for k, run in enumerate(self.shards, 1):
            self.assertIn(run.code, (0, 1), run.describe())
            self.assertEqual(run.report["shard"], [k, 3])
            plan = run.report["shard_plan"]
            self.assertEqual(plan["planned"], 16)
            self.assertEqual(plan["balance"], "count")
            self.assertIsNone(plan["durations_from"])
            self.assertEqual([self.serial.order[p] for p in plan["positions"]], run.order)
            ran = {t for t in run.tests if not t.startswith("setUpClass")}
            self.assertLessEqual(ran, set(run.order))
        plans = [run.report["shard_plan"] for run in self.shards]
        self.assertEqual(len({(p["fingerprint"], p["split"]) for p in plans}), 1, plans)
        self.assertIsNone(self.serial.report["shard"])
        self.assertIsNone(self.serial.report["shard_plan"])

    def test_the_header_and_the_rerun_line_name_the_shard(self):
        for k, run in enumerate(self.shards, 1):
            count = len(run.order)
            self.assertRegex(run.lines()[0], rf"^harness \S+ on Python \S+: {count} tests?, bucket module, --seed 5, "
                                             rf"shard {k}/3 of 16 tests \(balanced by test count\)$")
            if run.code == 1:
                self.assertIn(f"rerun this order with: python -m harness --seed 5 --bucket module --shard {k}/3",
                              run.lines())

    def test_combine_reproduces_the_serial_reports_counts(self):
        self.assertEqual(self.combined.returncode, 1, self.combined.stderr + self.combined.stdout)
        self.assertEqual(self.serial.code, 1, self.serial.describe())
        report = self.combined_report
        self.assertEqual(report["counts"], self.serial.report["counts"])
        self.assertEqual(report["order"], self.serial.order)
        self.assertEqual([(t["id"], t["outcome"], t["message"]) for t in report["tests"]],
                         [(t["id"], t["outcome"], t["message"]) for t in self.serial.report["tests"]])
        self.assertEqual((report["seed"], report["bucket"], report["shard"], report["shard_plan"]),
                         (5, "module", None, None))
        self.assertEqual(self.combined.stdout.splitlines()[-1], self.serial.lines()[-1])
        self.assertEqual(self.combined.stdout.splitlines()[-1], "12 passed, 2 failed, 1 skipped")
        self.assertRegex(self.combined.stdout.splitlines()[0],
                         r"^harness combine: 3 shards of 16 tests from Python \S+, bucket module, --seed 5$")
        self.assertEqual(self.combined.stderr, "")

    def test_the_combined_junit_report_matches_the_serial_one(self):
        serial = self.serial.junit.find("testsuite")
        combined = ET.parse(self.combined_xml).getroot().find("testsuite")
        for name in ("tests", "failures", "errors", "skipped"):
            self.assertEqual(combined.get(name), serial.get(name), name)
        cases = [(c.get("classname"), c.get("name"), [child.tag for child in c])
                 for c in combined.iter("testcase")]
        self.assertEqual(cases, [(c.get("classname"), c.get("name"), [child.tag for child in c])
                                 for c in serial.iter("testcase")])

    def test_combine_out_folder_receives_one_report_of_each_kind(self):
        out = os.path.join(self.folder.name, "combined-folder")
        done = combine(out, *self.paths)
        self.assertEqual(done.returncode, 1, done.stderr)
        with open(os.path.join(out, "report.json"), encoding="utf-8") as file:
            self.assertEqual(json.load(file)["counts"], self.serial.report["counts"])
        suite = ET.parse(os.path.join(out, "report.xml")).getroot().find("testsuite")
        self.assertEqual(suite.get("tests"), self.serial.junit.find("testsuite").get("tests"))

    def test_runtests_combine_is_the_same_command(self):
        done = subprocess.run([sys.executable, os.path.join(REPO, "runtests.py"), "--combine", *self.paths],
                              cwd=self.folder.name, env=environment(), capture_output=True, text=True,
                              timeout=TIMEOUT)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertEqual(done.stdout.splitlines()[-1], "12 passed, 2 failed, 1 skipped")
        self.assertIn("rerun this order with: python runtests.py --seed 5 --bucket module", done.stdout)

    def test_a_missing_shard_is_bad_input_and_nothing_is_written(self):
        out = os.path.join(self.folder.name, "missing.json")
        done = combine("--json", out, self.paths[0], self.paths[2])
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertRegex(done.stderr, r"^harness: error: shard 2 of 3 is missing \(given: 1, 3\): add its report\n$")
        self.assertFalse(os.path.exists(out))
        self.assertEqual(done.stdout, "")

    def test_a_shard_given_twice_is_bad_input(self):
        done = combine(self.paths[0], self.paths[1], self.paths[1], self.paths[2])
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertRegex(done.stderr, r"^harness: error: '.*shard2\.json' and '.*shard2\.json' are both shard 2 of 3: "
                                      r"give each shard's report once\n$")

    def test_a_test_in_two_shards_is_bad_input(self):
        first, second = self.shards[0].report, json.loads(json.dumps(self.shards[1].report))
        second["order"].append(first["order"][0])
        second["shard_plan"]["positions"].append(first["shard_plan"]["positions"][0])
        edited = saved(self.folder.name, "overlapping.json", second)
        done = combine(self.paths[0], edited, self.paths[2])
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertRegex(done.stderr, rf"^harness: error: '{first['order'][0]}' is in both '.*shard1\.json' and "
                                      r"'.*overlapping\.json': the shards overlap; combine the reports of one sharded "
                                      r"run, unedited\n$")

    def test_a_shard_of_another_seed_is_bad_input(self):
        other = run_harness(SAMPLE, "--seed", "6", "--shard", "2/3")
        path = saved(self.folder.name, "seed6.json", other.report)
        done = combine(self.paths[0], path, self.paths[2])
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertRegex(done.stderr, r"^harness: error: '.*seed6\.json' ran with --seed 6 --bucket module, but "
                                      r"'.*shard1\.json' with --seed 5 --bucket module: the shards of one run need the "
                                      r"same seed and bucket, or their orders differ and the shards overlap\n$")

    def test_the_report_of_a_run_without_shard_is_bad_input(self):
        path = saved(self.folder.name, "serial.json", self.serial.report)
        done = combine(path)
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertRegex(done.stderr, r"^harness: error: '.*serial\.json' is the report of a run without --shard; "
                                      r"give the JSON report each shard wrote with --shard K/N --json PATH\n$")

    def test_a_shard_with_jobs_splits_its_tests_among_workers(self):
        run = run_harness(SAMPLE, "--seed", "5", "--shard", "1/3", "-j", "2")
        self.assertEqual(run.order, self.shards[0].order)
        self.assertEqual(sorted(t for w in run.report["workers"] for t in w), sorted(run.order))
        self.assertEqual(run.report["shard"], [1, 3])
        self.assertEqual(run.report["counts"], self.shards[0].report["counts"])


class ShardErrorTests(unittest.TestCase):
    def test_a_shard_with_no_tests_exits_5(self):
        run = run_harness(SAMPLE, "--seed", "5", "--shard", "7/7")
        self.assertEqual(run.code, 5, run.describe())
        self.assertEqual(run.stderr, "harness: shard 7 of 7 runs no tests: the 16 tests are in 6 modules (bucket "
                                     "module), and each stays on one shard; use at most 6 shards, or --bucket class "
                                     "to split modules\n")
        self.assertEqual(run.lines()[-1], "0 passed, 0 failed, 0 skipped")

    def test_shard_needs_a_seed(self):
        run = run_harness(SAMPLE, "--shard", "1/2")
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: --shard 1/2 needs --seed: every shard must plan the same "
                                     r"order; give every shard the same seed, such as --seed \$GITHUB_RUN_ID\n$")

    def test_bad_shard_options_are_usage_errors(self):
        cases = {
            ("--shard", "0/3"): r"^harness: error: argument --shard: '0/3': K must be from 1 to N, as in 2/4\n$",
            ("--shard", "two"): r"^harness: error: argument --shard: 'two' is not K/N; ",
            ("--seed", "1", "--durations-from", "d.json"):
                r"^harness: error: --durations-from balances shards and workers; add --shard K/N or -j N, or leave ",
            ("--seed", "1", "--shard", "1/2", "--bisect", "test_beta.BetaTests.test_passes"):
                r"^harness: error: --shard and --bisect do not go together: bisect in the shard's order by ",
        }
        for args, pattern in cases.items():
            with self.subTest(args=args):
                run = run_harness(SAMPLE, *args, json_report=False)
                self.assertEqual(run.code, 4, run.describe())
                self.assertRegex(run.stderr, pattern)


class DurationTests(unittest.TestCase):
    """--durations-from: the shards balanced by an earlier report's durations."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory(prefix="harness-durations-")
        quick = ["test_alpha.AlphaTests.test_passes", "test_alpha.AlphaTests.test_fails",
                 "test_alpha.AlphaTests.test_passes_too", "test_beta.BetaTests.test_passes",
                 "test_beta.BetaTests.test_skipped", "test_gamma.BrokenFixtureTests.test_never_runs",
                 "test_zeta.FirstTests.test_1", "test_zeta.FirstTests.test_2", "test_zeta.SecondTests.test_1"]
        # test_delta's tests took 10 s; the others 0.1 s, and those not recorded get that median
        recorded = {**dict.fromkeys(quick, 0.1), **{f"test_delta.DeltaTests.test_{n}": 10.0 for n in (1, 2, 3)}}
        entries = [{"id": test_id, "duration": seconds} for test_id, seconds in recorded.items()]
        cls.durations = saved(cls.folder.name, "durations.json", {"tests": entries})
        started = [start(SAMPLE, "--seed", "5", "--shard", f"{k}/2", "--durations-from", cls.durations)
                   for k in (1, 2)]
        cls.runs = [s.result() for s in started]

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def test_the_slow_module_gets_a_shard_of_its_own(self):
        first, second = self.runs
        self.assertEqual({module_of(t) for t in first.order}, {"test_delta"}, first.describe())
        self.assertEqual({module_of(t) for t in second.order}, MODULES - {"test_delta"}, second.describe())
        self.assertEqual(first.report["shard_plan"]["balance"], "durations")
        self.assertEqual(first.report["shard_plan"]["durations_from"], self.durations)
        self.assertIn(f"shard 1/2 of 16 tests (balanced by durations in {self.durations})", first.lines()[0])

    def test_shards_balanced_differently_are_not_combined(self):
        by_count = run_harness(SAMPLE, "--seed", "5", "--shard", "2/2")
        paths = [saved(self.folder.name, "by-durations-1.json", self.runs[0].report),
                 saved(self.folder.name, "by-count-2.json", by_count.report)]
        done = combine(*paths)
        self.assertEqual(done.returncode, 4, done.stderr)
        self.assertRegex(done.stderr, r"^harness: error: '.*by-count-2\.json' split the order differently from "
                                      r"'.*by-durations-1\.json' \(balanced by test count, against durations in .*"
                                      r"durations\.json\): give every shard the same --durations-from file, or none\n$")

    def test_a_durations_report_not_there_yet_balances_by_count(self):
        missing = os.path.join(self.folder.name, "not-yet.json")
        run = run_harness(SAMPLE, "--seed", "5", "--shard", "2/3", "--durations-from", missing)
        self.assertIn(run.code, (0, 1), run.describe())
        self.assertEqual(run.stderr, f"harness: note: no report at {missing!r} yet, so the shards are balanced by "
                                     "test count (every shard must see the same file, or none: combine checks)\n")
        self.assertEqual(run.report["shard_plan"]["balance"], "count")

    def test_a_durations_file_that_is_not_a_report_is_a_usage_error(self):
        path = os.path.join(self.folder.name, "garbage.json")
        with open(path, "w", encoding="utf-8") as file:
            file.write("{not json")
        run = run_harness(SAMPLE, "--seed", "5", "--shard", "1/2", "--durations-from", path)
        self.assertEqual(run.code, 4, run.describe())
        self.assertRegex(run.stderr, r"^harness: error: cannot read durations from '.*garbage\.json': .*; give a "
                                     r"JSON report written by --json or by harness combine\n$")


class CoverageTests(unittest.TestCase):
    def test_combine_merges_the_shards_coverage_data_and_keeps_the_inputs(self):
        from coverage import CoverageData

        with tempfile.TemporaryDirectory(prefix="harness-coverage-") as folder:
            source = os.path.join(folder, "mod.py")
            inputs = []
            for k, lines in ((1, [1, 2]), (2, [2, 5])):
                data = CoverageData(basename=os.path.join(folder, f"shard{k}.coverage"))
                data.add_lines({source: lines})
                data.write()
                inputs.append(data.data_filename())
            reports = [saved(folder, f"shard{k}.json", run.report)
                       for k, run in enumerate((run_harness(SAMPLE, "--seed", "3", "--shard", f"{k}/2")
                                                for k in (1, 2)), 1)]
            out = os.path.join(folder, "combined.coverage")
            done = combine("--coverage-data", inputs[0], "--coverage-data", inputs[1], "--coverage-out", out, *reports)
            self.assertEqual(done.returncode, 1, done.stderr)
            combined = CoverageData(basename=out)
            combined.read()
            self.assertEqual(sorted(combined.lines(source)), [1, 2, 5])
            self.assertTrue(all(os.path.exists(path) for path in inputs))

            done = combine("--coverage-data", os.path.join(folder, "absent"), *reports)
            self.assertEqual(done.returncode, 4, done.stderr)
            self.assertRegex(done.stderr, r"^harness: error: no coverage data file at '.*absent'; give the data file ")


class AssignTests(unittest.TestCase):
    """harness.run.shards.assign, the pure part."""

    PLACES = [Placement("m1", "A", "m1.A.t1"), Placement("m1", "A", "m1.A.t2"), Placement("m1", "B", "m1.B.t1"),
              Placement("m2", "C", "m2.C.t1"), Placement("m3", "D", "m3.D.t1"), Placement("m3", "D", "m3.D.t2")]

    def test_every_test_gets_one_shard_and_a_module_stays_together(self):
        owner = shards.assign(self.PLACES, "module", 2)
        self.assertEqual(owner, (1, 1, 1, 2, 2, 2))  # m1 (3 tests) first, then m3 and m2 to the lighter shard

    def test_under_the_class_bucket_a_module_may_be_split_but_not_a_class(self):
        owner = shards.assign(self.PLACES, "class", 3)
        self.assertEqual(owner[0], owner[1])
        self.assertEqual(owner[4], owner[5])
        self.assertEqual(sorted(set(owner)), [1, 2, 3])

    def test_recorded_durations_weigh_and_a_test_not_recorded_gets_their_median(self):
        recorded = {"m2.C.t1": 9.0, "m1.A.t1": 1.0, "m1.A.t2": 1.0, "m3.D.t1": 1.0}
        self.assertEqual(shards.weights(self.PLACES, recorded), [1.0, 1.0, 1.0, 9.0, 1.0, 1.0])
        self.assertEqual(shards.assign(self.PLACES, "module", 2, recorded), (2, 2, 2, 1, 2, 2))

    def test_more_shards_than_groups_leaves_some_empty(self):
        chosen = shards.choose(self.PLACES, "module", (4, 4))
        self.assertEqual(chosen.positions, ())
        self.assertEqual(chosen.planned, 6)

    def test_the_fingerprint_ignores_the_order_and_sees_the_ids(self):
        ids = [place.test_id for place in self.PLACES]
        self.assertEqual(shards.fingerprint(ids), shards.fingerprint(list(reversed(ids))))
        self.assertNotEqual(shards.fingerprint(ids), shards.fingerprint(ids[:-1]))
