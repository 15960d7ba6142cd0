"""Global state changed and not restored: an environment variable and a root logger handler."""
import logging
import os
import unittest


def mode():
    return os.environ.get("APP_MODE", "production")


class SettingsTests(unittest.TestCase):
    def test_mode_debug(self):
        os.environ["APP_MODE"] = "debug"
        logging.getLogger().addHandler(logging.NullHandler())
        self.assertEqual(mode(), "debug")

    def test_default_mode(self):
        self.assertEqual(mode(), "production")
