"""builtins.print replaced by a function that raises."""
import builtins

import harness

REAL = builtins.print


def no_print(*args, **kwargs):
    raise RuntimeError("print is patched by a hostile test")


class HostileTests(harness.TestCase):
    def test_patches_print(self):
        builtins.print = no_print


class InnocentTests(harness.TestCase):
    def test_prints(self):
        self.assertIs(builtins.print, REAL)
        print("innocent output")
