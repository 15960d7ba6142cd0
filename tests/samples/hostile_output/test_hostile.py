"""Tests whose output no report format holds as is: control characters, bytes that are not UTF-8, 10 MB of text."""
import sys
import unittest

BIG = 10 * 1024 * 1024  # characters; the reports keep 1,048,576 of them


def big_text(first: str, last: str) -> str:
    """BIG characters: `first` at the very start, `last` at the very end, dots between, no quadratic build."""
    return first + "." * (BIG - len(first) - len(last)) + last


class ControlCharacterTests(unittest.TestCase):
    def test_prints_control_characters_then_fails(self):
        print("nul \x00, red \x1b[31mred\x1b[0m, bell \x07, tab \t, noncharacter \ufffe end")
        sys.stderr.write("stderr \x0c form feed\n")
        self.fail("control characters in the message: \x00 \x1b[31m \x07")

    def test_prints_control_characters_and_passes(self):
        print("\x00\x1b[31m\x07")


class InvalidUtf8Tests(unittest.TestCase):
    def test_writes_invalid_utf8_bytes_then_fails(self):
        sys.stdout.write("before bytes|")
        sys.stdout.buffer.write(b"\xff\xfe not utf-8 \xc3\x28|")
        sys.stdout.buffer.flush()
        sys.stdout.write("after bytes\n")
        raise ValueError(b"\xff\xfe".decode("utf-8", "surrogateescape"))

    def test_prints_surrogateescape_strings_then_fails(self):
        print(b"caf\xe9".decode("utf-8", "surrogateescape"), "lone \ud800 surrogate")
        self.fail(b"caf\xe9".decode("utf-8", "surrogateescape"))


class HugeOutputTests(unittest.TestCase):
    def test_prints_10_mb_then_fails(self):
        sys.stdout.write(big_text("HEAD-OUT", "TAIL-OUT"))
        sys.stderr.write(big_text("HEAD-ERR", "TAIL-ERR"))
        self.fail(big_text("HEAD-MSG", "TAIL-MSG"))

    def test_prints_10_mb_and_passes(self):
        for _ in range(10):
            sys.stdout.write("x" * (1024 * 1024))
