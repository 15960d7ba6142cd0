"""Plain unittest.TestCase: module and class fixtures, skips, expected failures and subtests."""
import unittest

EVENTS = []


def setUpModule():
    EVENTS.append("setUpModule")


class FixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.resource = "open"

    def test_sees_class_fixture(self):
        self.assertEqual(self.resource, "open")

    def test_sees_module_fixture(self):
        self.assertIn("setUpModule", EVENTS)


class OutcomeTests(unittest.TestCase):
    def test_passes(self):
        pass

    def test_fails(self):
        self.assertEqual(1, 2)

    def test_errors(self):
        raise KeyError("no such key")

    @unittest.skip("not today")
    def test_skipped_by_decorator(self):
        pass

    def test_skipped_at_run_time(self):
        self.skipTest("decided while running")

    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(1, 2)

    @unittest.expectedFailure
    def test_unexpected_success(self):
        pass

    def test_subtests_some_fail(self):
        for i in range(4):
            with self.subTest(i=i):
                self.assertEqual(i % 2, 0)

    def test_subtests_one_errors(self):
        for i in range(3):
            with self.subTest(i=i):
                if i == 1:
                    raise ValueError("subtest 1 broke")

    def test_subtests_all_pass(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertGreaterEqual(i, 0)


@unittest.skip("the whole class is off")
class SkippedClassTests(unittest.TestCase):
    def test_a(self):
        pass

    def test_b(self):
        pass


class BrokenClassFixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("setUpClass could not open the resource")

    def test_never_runs(self):
        pass
