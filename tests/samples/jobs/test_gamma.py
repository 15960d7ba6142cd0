import os
import unittest

WORKER_PIDS = set()


class GammaTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pid = os.getpid()

    def test_1(self):
        self.assertEqual(os.getpid(), self.pid)

    def test_2(self):
        self.assertEqual(os.getpid(), self.pid)

    def test_3(self):
        print("pid", os.getpid())
