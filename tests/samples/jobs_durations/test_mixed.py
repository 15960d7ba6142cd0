"""One module: a slow class of 3 tests and 6 fast classes of 5, by the durations a test writes for them.

setUpModule sets READY; every test checks it, so a worker that runs some of the module's classes without its
setUpModule fails them.
"""
import os
import unittest

READY = []


def setUpModule():  # noqa: N802
    READY.append(os.getpid())


class SlowTests(unittest.TestCase):
    pass


def _make(number):
    def test(self):
        self.assertEqual(READY, [os.getpid()])
        self.assertGreaterEqual(number, 0)

    return test


for _number in range(3):
    setattr(SlowTests, f"test_{_number}", _make(_number))

for _class in "ABCDEF":
    globals()[f"Fast{_class}Tests"] = type(f"Fast{_class}Tests", (unittest.TestCase,),
                                            {f"test_{n}": _make(n) for n in range(5)})
