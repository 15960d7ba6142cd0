"""Capturing what a test writes to sys.stdout or sys.stderr, as text or as bytes to the stream's buffer."""
from __future__ import annotations

import codecs
import io


class _Bytes(io.RawIOBase):
    """`Capture.buffer`: bytes written here join the captured text, decoded as UTF-8.

    Bytes that are not UTF-8 are kept as lone surrogates (errors="surrogateescape"), which the reports show as
    `\\xff`. The decoder is incremental: a character split over two writes is still one character.
    """

    def __init__(self, text: io.StringIO) -> None:
        super().__init__()
        self._text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._text.write(self._decoder.decode(bytes(data)))
        return len(data)

    def drain(self) -> None:
        """Decode the bytes of a character left incomplete by the last write."""
        self._text.write(self._decoder.decode(b"", final=True))


class Capture(io.StringIO):
    """A text stream that keeps what is written to it, with a `buffer` for bytes like a real sys.stdout has."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = _Bytes(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"  # what `buffer` decodes; code that encodes before writing to it reads this

    def getvalue(self) -> str:
        self.buffer.drain()
        return super().getvalue()
