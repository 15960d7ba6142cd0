"""Output that does not go through sys.stdout: child processes, os.write, a descriptor redirected with os.dup2.

Each test writes lines that name it, so that a line in another test's report is seen. All pass under plain unittest.
"""
import os
import subprocess
import sys
import tempfile
import unittest


class ChildProcessTests(unittest.TestCase):
    def test_child_writes_stdout(self):
        subprocess.run(["echo", "child stdout of test_child_writes_stdout"], check=True)

    def test_child_writes_stderr(self):
        subprocess.run(["sh", "-c", "echo child stderr of test_child_writes_stderr >&2"], check=True)

    def test_dup2_onto_stdout_then_child(self):
        self.assertEqual((sys.stdout.fileno(), sys.stderr.fileno()), (1, 2))
        with tempfile.TemporaryFile() as into:
            saved = os.dup(sys.stdout.fileno())
            try:
                os.dup2(into.fileno(), sys.stdout.fileno())
                subprocess.run(["echo", "into the temporary file"], check=True)
            finally:
                os.dup2(saved, sys.stdout.fileno())
                os.close(saved)
            into.seek(0)
            self.assertEqual(into.read(), b"into the temporary file\n")
        print("after the redirection of test_dup2_onto_stdout_then_child")

    def test_dup2_onto_stderr_then_child(self):
        with tempfile.TemporaryFile() as into:
            saved = os.dup(sys.stderr.fileno())
            try:
                os.dup2(into.fileno(), sys.stderr.fileno())
                subprocess.run(["sh", "-c", "echo into the temporary file >&2"], check=True)
            finally:
                os.dup2(saved, sys.stderr.fileno())
                os.close(saved)
            into.seek(0)
            self.assertEqual(into.read(), b"into the temporary file\n")


class DescriptorTests(unittest.TestCase):
    def test_os_write(self):
        os.write(1, b"fd 1 of test_os_write\n")
        os.write(2, b"fd 2 of test_os_write\n")

    def test_interleaved(self):
        print("print 1 of test_interleaved")
        os.write(1, b"os.write 2 of test_interleaved\n")
        sys.stdout.buffer.write(b"buffer 3 of test_interleaved\n")
        subprocess.run(["echo", "child 4 of test_interleaved"], check=True)
        print("print 5 of test_interleaved")

    def test_dunder_stdout(self):
        print("sys.__stdout__ of test_dunder_stdout", file=sys.__stdout__)
        print("sys.__stderr__ of test_dunder_stdout", file=sys.__stderr__)

    def test_prints_nothing(self):
        self.assertTrue(True)
