"""Fresh asyncio loops, made cheaply: a new loop object for every test, on kernel objects kept between tests.

Making a selector event loop opens an epoll selector and a socket pair (the loop's self-pipe), and
closing it closes all three: about 25 us of system calls a test on a small machine, a tenth of what
harness costs per test. A loop made here takes a selector and socket pair that an earlier loop left
clean, when there is one: the loop object, its tasks, handles, executor, exception handler and
policy state are all new, as with `asyncio.new_event_loop()`. A loop gives its parts back at `close()`
only when nothing else is left registered on its selector (a test that leaked a transport gets its
selector closed, as usual), and parts are never handed across a fork.
"""
from __future__ import annotations

import asyncio
import os
import selectors
import socket
import sys
from typing import Any, NamedTuple

_getpid = os.getpid
_SPARE_LIMIT = 2  # a class loop and a test's loop can be open at once


class _Parts:
    """A selector and a self-pipe socket pair that a closed loop left clean."""

    __slots__ = ("selector", "reader", "writer", "pid")

    def __init__(self, selector: _KeptSelector, reader: socket.socket, writer: socket.socket) -> None:
        self.selector, self.reader, self.writer, self.pid = selector, reader, writer, _getpid()


_spare: list[_Parts] = []


class _KeptSelector(selectors.DefaultSelector):  # type: ignore[valid-type, misc]
    """The platform's default selector, which a harness loop can hand on instead of closing."""

    pipe: tuple[socket.socket, socket.socket] | None = None  # the self-pipe, once its loop has let go of it

    def close(self) -> None:
        pipe, self.pipe = self.pipe, None
        if pipe is not None and self._only(pipe[0]) and len(_spare) < _SPARE_LIMIT and _drained(pipe[0]):
            _spare.append(_Parts(self, *pipe))
            return
        if pipe is not None:
            for sock in pipe:
                sock.close()
        super().close()

    def _only(self, reader: socket.socket) -> bool:
        """Whether nothing but the self-pipe's reading end, which stays registered for the next loop, is left."""
        registered = self.get_map()
        return len(registered) == 1 and reader.fileno() in registered  # type: ignore[operator]


def _drained(reader: socket.socket) -> bool:
    """Read what wake-ups are left in the self-pipe; False when it cannot be read (then it is not reused)."""
    try:
        while reader.recv(4096):
            pass
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False  # the other end was closed


def _take() -> _Parts | None:
    while _spare:
        parts = _spare.pop()
        if parts.pid == _getpid():
            return parts
        # made before a fork: the parent's epoll instance is shared with it, so close our copies
        for sock in (parts.reader, parts.writer):
            sock.close()
        selectors.DefaultSelector.close(parts.selector)
    return None


class HarnessEventLoop(asyncio.SelectorEventLoop):  # type: ignore[misc, valid-type]
    """asyncio's selector event loop, on a reused selector and self-pipe when a clean pair is spare."""

    def __init__(self) -> None:
        self._harness_parts = _take()
        super().__init__(self._harness_parts.selector if self._harness_parts is not None else _KeptSelector())

    def _make_self_pipe(self) -> None:
        parts, self._harness_parts = self._harness_parts, None
        if parts is None:
            super()._make_self_pipe()
            return
        self._ssock, self._csock = parts.reader, parts.writer
        self._internal_fds += 1
        self._add_reader(self._ssock.fileno(), self._read_from_self)

    def _close_self_pipe(self) -> None:
        reader, writer = self._ssock, self._csock
        selector = self._selector
        self._ssock = self._csock = None
        self._internal_fds -= 1
        if not isinstance(selector, _KeptSelector):
            self._remove_reader(reader.fileno())
            reader.close()
            writer.close()
            return
        # The reading end stays registered (no epoll_ctl to remove it here and add it again in the next loop,
        # whose _add_reader only swaps the handle): this loop's handle is cancelled and dropped.
        try:
            handle = selector.get_key(reader.fileno()).data[0]
        except KeyError:  # no longer registered (then the selector's close() does not keep it either)
            handle = None
        else:
            selector.modify(reader.fileno(), selectors.EVENT_READ, (None, None))
        if handle is not None:
            handle.cancel()
        selector.pipe = (reader, writer)  # the selector's close() keeps them, or closes them with itself


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh asyncio loop, as `asyncio.new_event_loop()` makes it: on the policy's own kind of loop when a test
    or a library installed another policy, and on the stdlib's default policy a HarnessEventLoop."""
    policy = asyncio.get_event_loop_policy()
    if type(policy) is not asyncio.DefaultEventLoopPolicy or sys.platform == "win32":
        return asyncio.new_event_loop()
    if getattr(policy, "_loop_factory", None) is not asyncio.SelectorEventLoop:
        return asyncio.new_event_loop()
    return HarnessEventLoop()


def kept_descriptors() -> frozenset[int]:
    """The descriptors kept for the next loops: harness's own, never a test's leftovers."""
    kept: set[int] = set()
    for parts in _spare:
        kept.update((parts.selector.fileno(), parts.reader.fileno(), parts.writer.fileno()))
    return frozenset(kept)


# -- the current loop of asyncio's policy, around a test's own loop ---------------------------------------
class OuterLoop(NamedTuple):
    """What was current before a test's own loop was set: the policy, its loop (a suite's one loop for the process,
    made with `asyncio.get_event_loop()` by older suites) and whether `set_event_loop` was ever called."""

    policy: Any
    loop: Any
    set_called: Any


def outer_loop() -> OuterLoop:
    """The current loop's state now, before a test's own loop is set on the policy."""
    policy = asyncio.events._event_loop_policy  # type: ignore[attr-defined]  # get_* would make one
    local = getattr(policy, "_local", None)
    return OuterLoop(policy, getattr(local, "_loop", None), getattr(local, "_set_called", None))


def put_back(outer: OuterLoop, policy: asyncio.AbstractEventLoopPolicy | None = None, *, exact: bool = True) -> None:
    """Once a test's own loop is done with, make the current loop what it was before (`outer`): a test on a loop of
    its own leaves a suite's process loop (`get_event_loop().run_until_complete()`) current, as it found it.

    `exact`: harness's own tests also leave whether a loop was ever set as they found it (they are harness's
    machinery, invisible to the suite); for an `IsolatedAsyncioTestCase` (False) only an open outer loop is put
    back, and otherwise the state stays as its runner left it under plain unittest (no loop, `set_event_loop`
    called: later suites' tests rely on `get_event_loop()` raising then). `policy`: the one the test's loop was
    set on (a test may have put in another); a closed outer loop, or another policy than before, gets no current
    loop, as the stdlib runner leaves it.
    """
    loop = outer.loop if outer.loop is not None and not outer.loop.is_closed() else None
    if not exact and loop is None:  # nothing to put back; and no policy made where the test has none (a loop_factory)
        return
    policy = policy or asyncio.get_event_loop_policy()
    local = getattr(policy, "_local", None)
    if not same_policy(outer.policy, policy) or local is None or outer.set_called is None and outer.policy is not None:
        if exact:
            policy.set_event_loop(None)
        return
    if exact:
        local._loop, local._set_called = loop, bool(outer.set_called) or loop is not None
    elif loop is not None:
        local._loop, local._set_called = loop, True


def same_policy(before: Any, after: Any) -> bool:
    """The same policy object, or none before and the default one asyncio made on first use since."""
    return after is before or (before is None and default_policy(after))


def default_policy(policy: Any) -> bool:
    """No policy yet (asyncio makes the default one on first use), or an instance of the default one."""
    return policy is None or type(policy) is asyncio.DefaultEventLoopPolicy
