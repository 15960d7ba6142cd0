"""gettext's install() writes names into builtins through its __dict__ (no attribute hook sees that), and the test
deletes them again, as CPython's test_gettext does: the builtins are as they were, so no finding and nothing put
back. A test deleting a function its module defines is still reported."""
import builtins
import gettext
import json
import unittest


class InstallTests(unittest.TestCase):
    def test_install_then_delete(self):
        translations = gettext.NullTranslations()
        translations.install(names=["gettext", "ngettext"])
        self.assertIs(builtins.gettext.__self__, translations)
        del builtins.gettext
        del builtins.ngettext
        del builtins._

    def test_no_gettext_in_builtins(self):
        self.assertFalse(hasattr(builtins, "gettext"))


class DeletesAFunctionTests(unittest.TestCase):
    def test_deletes_json_dumps(self):
        del json.dumps  # put back by harness

    def test_json_dumps_is_there(self):
        self.assertEqual(json.dumps([1]), "[1]")
