import unittest


class BrokenFixtureTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise OSError("database is down")

    def test_never_runs(self):
        pass

    def test_never_runs_either(self):
        pass
