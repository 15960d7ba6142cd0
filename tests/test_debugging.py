"""--pdb and breakpoint(), end to end: harness on a pseudo-terminal, with pdb's commands typed in."""
from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import sys
import tempfile
import time
import unittest

from harness import cli
from tests.support import SAMPLES, environment, start

PROMPT = r"\(Pdb\) "
READ = 30.0  # seconds to wait for each thing harness or pdb should print; hitting it means a hang

try:
    import uvloop  # noqa: F401
except ImportError:
    UVLOOP = False
else:
    UVLOOP = True


class Terminal:
    """`python -m harness ARGS` in tests/samples/debugging, on a pseudo-terminal of its own (its controlling
    terminal, as a shell's would be). Every read has a deadline; the process is killed if it outlives the test."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        environ = environment({"COLUMNS": "100", **(env or {})})
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: it becomes harness at once
            try:
                # as a shell starts it: signals at their defaults (the worker running this test handles or blocks some)
                signal.pthread_sigmask(signal.SIG_SETMASK, set())
                for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
                    signal.signal(signum, signal.SIG_DFL)
                os.chdir(os.path.join(SAMPLES, "debugging"))
                os.execve(sys.executable, [sys.executable, "-m", "harness", "--color", "never", *args], environ)
            finally:
                os._exit(127)
        self.output = ""
        self.seen = 0  # where the next expect() looks from
        self.code: int | None = None

    def expect(self, pattern: str, timeout: float = READ) -> re.Match[str]:
        """Wait for `pattern` in what was printed since the last match."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.compile(pattern).search(self.output, self.seen)
            if found:
                self.seen = found.end()
                return found
            if not self._read(deadline):
                self._kill()  # a failed test leaves no harness running behind it
                raise AssertionError(f"harness did not print {pattern!r} within {timeout} s; it printed:\n"
                                     f"{self.output}")

    def _kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def _read(self, deadline: float) -> bool:
        """Read what there is, waiting until `deadline`; False at the deadline or the end of the output."""
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the process has ended and closed the terminal
            chunk = b""
        if not chunk:
            return False
        self.output += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        return True

    def answer(self, *commands: str) -> str:
        """Type each command at pdb's next prompt; returns what was printed meanwhile, the last command's output."""
        start = self.seen
        for command in commands:
            self.expect(PROMPT)
            os.write(self.fd, (command + "\n").encode())
        return self.output[start:]

    def interrupt(self) -> None:
        self.expect(PROMPT)
        self._wait_until_reading()
        os.write(self.fd, b"\x03")  # Ctrl-C, as the terminal turns it into SIGINT for its foreground processes

    def _wait_until_reading(self) -> None:
        """Wait until the process sleeps in the kernel, waiting for input: a Ctrl-C typed between pdb's prompt and its
        wait for input is lost (readline checks for signals only when its wait is interrupted), as a person typing
        it at once on a busy machine would find. Where /proc cannot tell, a moment's pause instead."""
        deadline = time.monotonic() + READ
        asleep = 0
        while time.monotonic() < deadline and asleep < 3:
            try:
                with open(f"/proc/{self.pid}/stat") as stat:
                    state = stat.read().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                time.sleep(0.2)
                return
            asleep = asleep + 1 if state == "S" else 0
            time.sleep(0.02)

    def finish(self) -> str:
        """Read to the end and wait for the process (killing it if it does not end); returns the whole output."""
        deadline = time.monotonic() + READ
        while self._read(deadline):
            pass
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
            os.close(self.fd)
            raise AssertionError(f"harness did not end within {READ} s; it printed:\n{self.output}")
        os.close(self.fd)
        self.code = os.waitstatus_to_exitcode(status)
        return self.output


def _json(path: str) -> dict:
    import json

    with open(path, encoding="utf-8") as file:
        return {entry["id"]: entry for entry in json.load(file)["tests"]}


class PostMortemTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory(prefix="harness-pdb-")
        self.addCleanup(self.folder.cleanup)
        self.report = os.path.join(self.folder.name, "report.json")

    def test_a_failure_stops_in_pdb_at_the_tests_line_with_its_locals_and_output_so_far(self):
        terminal = Terminal("--pdb", "--seed", "1", "-k", "test_plain_fails", "--json", self.report, ".")
        terminal.expect(r"test_failures\.PlainTests\.test_plain_fails failed: pdb, before its teardown")
        terminal.expect(r'File "[^"]*test_failures\.py", line 14, in test_plain_fails\n')
        terminal.expect(r"captured stdout so far -+\nprinted before the failure\n")
        terminal.expect(r"> [^\n]*test_failures\.py\(14\)test_plain_fails\(\)\n-> self\.assertEqual\(answer, 42\)\n")
        said = terminal.answer("p answer", "c")
        self.assertRegex(said, r"p answer\n41\n")
        output = terminal.finish()
        self.assertEqual(terminal.code, 1, output)
        self.assertIn("harness: note: running in this process, without crash and hang isolation: --pdb debugs the "
                      "failures here, with the terminal", output)
        self.assertTrue(output.endswith("0 passed, 1 failed, 0 skipped\n"), output)
        entry = _json(self.report)["test_failures.PlainTests.test_plain_fails"]
        self.assertEqual(entry["outcome"], "failed")
        self.assertEqual(entry["stdout"], "printed before the failure\n", "the capture is whole, and pdb is not in it")
        self.assertEqual(entry["state_changes"], [], "the debugger leaves no global state behind")

    def test_an_async_failure_is_debugged_with_its_loop_still_open_on_every_backend(self):
        tests = ["test_async_fails[asyncio]", "test_async_fails[trio]", "test_stdlib_async_fails"]
        if UVLOOP:
            tests.append("test_async_fails[asyncio+uvloop]")
        terminal = Terminal("--pdb", "--seed", "1", *(arg for test in tests for arg in ("-k", test)),
                            "--json", self.report, ".")
        for _ in tests:
            terminal.expect(r"-> self\.assertEqual\(answer, 42\)\n")
            said = terminal.answer("p answer", "p loop.is_open()", "c")
            self.assertRegex(said, r"p answer\n41\n(.|\n)*p loop\.is_open\(\)\nTrue\n")
        output = terminal.finish()
        self.assertEqual(terminal.code, 1, output)
        entries = _json(self.report)
        self.assertEqual(len(entries), len(tests), output)
        for test_id, entry in entries.items():
            self.assertEqual((entry["outcome"], entry["message"]), ("failed", "AssertionError: 41 != 42"), test_id)
            self.assertEqual((entry["state_changes"], entry["residual_tasks"], entry["unhandled_errors"]),
                             ([], [], []), test_id)

    def test_the_time_in_the_debugger_does_not_count_against_the_tests_limit(self):
        terminal = Terminal("--pdb", "--seed", "1", "-k", "Limited", "--json", self.report, ".")
        for _ in range(2):  # asyncio and trio; their limit is 1 s, their asyncTearDown runs after 1.5 s in pdb
            terminal.expect(r"-> self\.assertEqual\(answer, 42\)\n")
            terminal.expect(PROMPT)
            time.sleep(1.5)
            os.write(terminal.fd, b"c\n")
        output = terminal.finish()
        self.assertNotIn("timed out", output)
        for test_id, entry in _json(self.report).items():
            self.assertEqual(entry["message"], "AssertionError: 41 != 42", test_id)

    def test_q_stops_the_run_after_the_test(self):
        terminal = Terminal("--pdb", "--seed", "1", "-k", "test_plain_fails", "-k", "test_async_fails[asyncio]",
                            "--json", self.report, ".")
        terminal.answer("q")
        output = terminal.finish()
        self.assertEqual(terminal.code, 1, output)
        self.assertRegex(output, r"harness: the debugger was quit \(q\): stopping after test_failures\.\S+ \(its "
                                 r"teardown runs\)\n")
        self.assertEqual(len(_json(self.report)), 1, output)

    def test_ctrl_c_at_the_prompt_cancels_the_command_not_the_run(self):
        terminal = Terminal("--pdb", "--seed", "1", "-k", "test_plain_fails", ".")
        terminal.interrupt()
        terminal.expect(r"--KeyboardInterrupt--\n")
        terminal.answer("p answer", "c")
        output = terminal.finish()
        self.assertEqual(terminal.code, 1, output)
        self.assertRegex(output, r"\nran 1 test in ")
        self.assertNotIn("interrupted", output)

    def test_with_j_the_tests_run_in_this_process_and_it_says_so(self):
        run = start("debugging", "--pdb", "-j", "2", "-k", "test_plain_passes", json_report=False).result()
        self.assertEqual(run.code, 0, run.describe())
        self.assertEqual(run.stderr, "harness: note: running in this process, without crash and hang isolation: "
                                     "--pdb debugs the failures here, with the terminal (-j 2 is ignored)\n")

    def test_it_does_not_go_with_bisect_or_until_failure(self):
        for other in (["--bisect", "x.Y.test_z", "--seed", "1"], ["--until-failure"]):
            with self.assertRaisesRegex(cli.UsageError, r"^--pdb does not go with --"):
                cli.given(["--pdb", *other])


class BreakpointTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory(prefix="harness-pdb-")
        self.addCleanup(self.folder.cleanup)
        self.report = os.path.join(self.folder.name, "report.json")

    def _debug_every_breakpoint(self, *options: str) -> tuple[Terminal, str]:
        terminal = Terminal(*options, "--seed", "1", "-k", "breakpoint", "--json", self.report, ".")
        for _ in range(3):  # a sync test, and an async one on asyncio and trio
            terminal.expect(r"breakpoint\(\) in test_breakpoints\.")
            said = terminal.answer("p secret", "n", "p secret", "c")
            self.assertRegex(said, r"p secret\n'swordfish'\n(.|\n)*p secret\n'(swordfish|SWORDFISH)'\n")
        return terminal, terminal.finish()

    def test_under_pdb_the_output_capture_waits_while_pdb_has_the_terminal(self):
        terminal, output = self._debug_every_breakpoint("--pdb")
        self.assertEqual(terminal.code, 0, output)
        entries = _json(self.report)
        self.assertEqual(entries["test_breakpoints.BreakpointTests.test_breakpoint"]["stdout"],
                         "printed before the breakpoint\nprinted after the breakpoint\n")
        for test_id, entry in entries.items():
            self.assertEqual((entry["outcome"], entry["state_changes"]), ("passed", []), test_id)

    def test_under_s_a_worker_with_the_terminal_debugs_there(self):
        terminal, output = self._debug_every_breakpoint("-s")
        self.assertEqual(terminal.code, 0, output)
        self.assertNotIn("running in this process", output)
        self.assertIn("printed before the breakpoint", output)

    def test_in_a_worker_with_its_output_captured_the_capture_waits_too(self):
        terminal, output = self._debug_every_breakpoint()
        self.assertEqual(terminal.code, 0, output)
        self.assertEqual(_json(self.report)["test_breakpoints.BreakpointTests.test_breakpoint"]["stdout"],
                         "printed before the breakpoint\nprinted after the breakpoint\n")
        self.assertNotIn("printed before the breakpoint", output)

    def test_without_a_terminal_it_is_an_error_that_says_what_to_do(self):
        run = start("debugging", "--seed", "1", "-k", "test_breakpoint").result()
        self.assertEqual(run.code, 1, run.describe())
        self.assertRegex(run.test("BreakpointTests.test_breakpoint")["message"],
                         r"^harness\.run\.debugging\.NoTerminal: breakpoint\(\) in test_breakpoints\.BreakpointTests\."
                         r"test_breakpoint: there is no terminal to debug on \(standard input is not one\); remove "
                         r"the call, or run in a terminal$")

    def test_under_j_it_is_an_error_that_says_what_to_do(self):
        run = start("debugging", "--seed", "1", "-j", "2", "-k", "test_breakpoint", "-k", "test_plain").result()
        self.assertEqual(run.code, 1, run.describe())
        self.assertIn("the tests run in 2 worker processes (-j 2), which cannot share the terminal; run with --pdb",
                      run.test("BreakpointTests.test_breakpoint")["message"])
