"""A library that rebinds its own global (`global _USE_CP_SENDFILE; _USE_CP_SENDFILE = False` in shutil, when
sendfile() refuses regular files), and a test that sets it back with a plain assignment, as CPython's test_shutil
does: the state after the test is the state before it, so nothing is reported or put back, and the next test finds
sendfile on."""
import errno
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

LINUX_SENDFILE = hasattr(os, "sendfile") and sys.platform.startswith("linux")


@unittest.skipUnless(LINUX_SENDFILE, "shutil uses sendfile() on Linux only")
class SendfileTests(unittest.TestCase):
    def test_library_turns_it_off_and_the_test_back_on(self):
        self.assertTrue(shutil._USE_CP_SENDFILE)
        with tempfile.TemporaryDirectory() as folder:
            source, target = os.path.join(folder, "a"), os.path.join(folder, "b")
            with open(source, "wb") as made:
                made.write(b"x" * 100)
            try:
                refused = OSError(errno.ENOTSOCK, "sendfile() on sockets only")
                with mock.patch("os.sendfile", side_effect=refused), open(source, "rb") as src, \
                        open(target, "wb") as dst, self.assertRaises(shutil._GiveupOnFastCopy):
                    shutil._fastcopy_sendfile(src, dst)
                self.assertFalse(shutil._USE_CP_SENDFILE)  # shutil's own `global` store
            finally:
                shutil._USE_CP_SENDFILE = True

    def test_sendfile_is_on(self):
        self.assertTrue(shutil._USE_CP_SENDFILE)

    def test_sendfile_is_still_on(self):
        self.assertTrue(shutil._USE_CP_SENDFILE)
