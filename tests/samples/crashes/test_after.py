import unittest


class AfterTests(unittest.TestCase):
    def test_runs(self):
        self.assertEqual(1 + 1, 2)


class ForksTests(unittest.TestCase):
    def test_forks_a_child_that_does_not_exit(self):
        import os

        pid = os.fork()
        if pid:
            os.waitpid(pid, 0)
