"""builtins.open replaced by a function that refuses, in a test that passes and in one that fails."""
import builtins

import harness

REAL = builtins.open


def no_open(*args, **kwargs):
    raise PermissionError("open is patched by a hostile test")


class HostileTests(harness.TestCase):
    def test_fails_with_open_patched(self):
        builtins.open = no_open
        self.assertEqual(1, 2, "a failure whose traceback is formatted while open is patched")

    def test_patches_open(self):
        builtins.open = no_open


class InnocentTests(harness.TestCase):
    def test_opens_a_file(self):
        self.assertIs(builtins.open, REAL)
        with open(__file__, encoding="utf-8") as file:
            self.assertIn("hostile", file.read())
