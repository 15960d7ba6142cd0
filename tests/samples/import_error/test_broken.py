"""A module that cannot be imported: it errors, and the rest of the suite still runs."""
import unittest

import no_such_module_for_the_harness_sample  # noqa: F401


class NeverLoaded(unittest.TestCase):
    def test_never_runs(self):
        pass
