"""A test that reads the shared settings and expects the default mode."""
import unittest

import settings


class VictimTests(unittest.TestCase):
    def test_sees_the_default_mode(self):
        self.assertEqual(settings.VALUES["mode"], "production")
