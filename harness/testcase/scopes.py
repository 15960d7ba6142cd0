"""Class-scoped loops: one event loop per class and backend, from asyncSetUpClass to asyncTearDownClass.

A class with `loop_scope = "class"` gets its loop when its first test starts to run (after unittest's
setUpClass, before the test's window of probes opens). The loop's driver runs `asyncSetUpClass`; each test
then runs on the same loop in a session of its own (`backends.open_test_session`), and unittest's
`tearDownClass` runs `asyncTearDownClass` and closes the loop with the enforced-teardown steps.

At most one class loop is open at a time: unittest tears a class down before the next class's tests run, and
a class that fans out to several backends runs them one after the other (the loader groups them), closing one
backend's loop when a test of another backend comes.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from harness.findings.unhandled import UnhandledError
from harness.testcase import crossloop, timeouts
from harness.testcase.backends import (
    BackendSpec,
    BackendUnavailable,
    Session,
    Teardown,
    open_class_session,
    run_markers,
)

if TYPE_CHECKING:
    import anyio.abc

__unittest = True  # unittest leaves this module's frames out of a test's traceback

LoopScope = Literal["test", "class"]
SCOPES: tuple[LoopScope, ...] = ("test", "class")


class ClassSetUpFailed(Exception):  # noqa: N818 (reads as what happened)
    """asyncSetUpClass raised, so the tests of its class on that backend did not run."""


class ClassTeardownErrors(ExceptionGroup):  # noqa: N818
    """What asyncTearDownClass and the class loop's teardown found, raised together from tearDownClass."""


def check(value: object, cls: type) -> None:
    """Refuse a `loop_scope` that is not one of SCOPES, naming the class and the choices."""
    if value not in SCOPES:
        raise ValueError(
            f"{cls.__module__}.{cls.__qualname__}.loop_scope is {value!r}; choose one of: "
            f"{', '.join(repr(scope) for scope in SCOPES)}"
        )


@dataclasses.dataclass
class ClassLoop:
    """The loop a class's tests share on one backend, and how its set-up went."""

    cls: type
    spec: BackendSpec
    name: str  # module.Class [backend], for messages and crossloop
    session: Session | None = None
    failure: BaseException | None = None  # what asyncSetUpClass (or opening the backend) raised
    first_test: str = ""
    limit: timeouts.Limit | None = None  # the first test's; asyncSetUpClass and asyncTearDownClass each get it
    running: str = ""  # the test running on the loop now, or the last one that ran
    held: list[Held] = dataclasses.field(default_factory=list)  # sockets its tests left open: the class's


@dataclasses.dataclass(frozen=True)
class Held:
    """A socket a test of a class-scoped loop left open: the class's to close (its pool may have opened it)."""

    fd: int
    target: str  # what /proc/self/fd/FD pointed to: socket:[inode]
    during: str  # the test that was running when it was opened, or "asyncSetUpClass"


_open: ClassLoop | None = None
# Whether the fds probe watches this run: it hands over the sockets tests leave on a class's loop (`hold`), and
# the ones asyncSetUpClass opens are listed here, to be checked when the class ends.
watching_sockets = False
_deferred: dict[type, list[BaseException]] = {}  # errors of a class loop closed early, raised at tearDownClass


def label(cls: type, spec: BackendSpec) -> str:
    """`module.Class`, with `[backend]` when the class fans out to several backends."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    if getattr(cls, "backends", None):
        backend = spec if isinstance(spec, str) else spec[0]
        name += f" [{backend}]"
    return name


def enter(cls: type, spec: BackendSpec, test_id: str, limit: timeouts.Limit | None, bound: float) -> ClassLoop:
    """The class loop for `cls` on `spec`, opened (and asyncSetUpClass run) if this is its first test."""
    global _open
    current = _open
    if current is not None and current.cls is cls and current.spec == spec:
        return current
    if current is not None:  # another backend of the same class (or a class whose tearDownClass never came)
        _deferred.setdefault(current.cls, []).extend(_close(current, bound))
    _open = ClassLoop(cls, spec, label(cls, spec), first_test=test_id, limit=limit)
    cls.addClassCleanup(leave, cls, bound)  # in case a tearDownClass override does not call super()
    _start(_open, bound)
    return _open


def _start(loop: ClassLoop, bound: float) -> None:
    try:
        loop.session = open_class_session(loop.spec)
    except BackendUnavailable as exc:
        loop.failure = exc
        return
    if loop.session.loop is not None:
        crossloop.record(loop.session.loop, loop.name, "class")
    before = _sockets() if watching_sockets else {}
    try:
        _run_part(loop, loop.cls.asyncSetUpClass, bound)
    except Exception as exc:  # noqa: BLE001 (every test of the class reports it)
        loop.failure = exc
    if watching_sockets:
        loop.held.extend(Held(fd, target, "asyncSetUpClass") for fd, target in _sockets().items()
                         if before.get(fd) != target)
    for marker in run_markers(loop.session):
        crossloop.record(marker, loop.name, "class")


def _run_part(loop: ClassLoop, fn: Callable[[], Any], bound: float) -> None:
    """Run a class part on the class's loop, within the time limit of the class's first test."""
    session = loop.session
    assert session is not None
    if loop.limit is not None:
        session.limit_to(loop.limit, bound)
    try:
        session.call(fn)
    finally:
        session.unlimit()  # type: ignore[attr-defined]


def current(cls: type, spec: BackendSpec, test_id: str = "") -> ClassLoop:
    """The open class loop of `cls` on `spec` (a test's set-up, after `enter`), or raise why there is none."""
    loop = _open
    if loop is None or loop.cls is not cls or loop.spec != spec:
        raise RuntimeError(f"no class loop is open for {label(cls, spec)}")
    loop.running = test_id or loop.running
    if isinstance(loop.failure, BackendUnavailable):
        raise loop.failure
    if loop.failure is not None:
        error = ClassSetUpFailed(
            f"asyncSetUpClass of {loop.name} failed (in the set-up for {loop.first_test}), so this test did not "
            f"run: {type(loop.failure).__name__}: {loop.failure}"
        )
        raise error from loop.failure
    return loop


def hold(fd: int, target: str) -> bool:
    """Whether a descriptor a test left open is its class's rather than the test's: a socket, while a class's loop is
    open. A pool the class owns opens connections as its tests need them; each is checked when the class ends."""
    loop = _open
    if loop is None or loop.session is None or not target.startswith("socket:"):
        return False
    loop.held.append(Held(fd, target, loop.running))
    return True


def _still_open(loop: ClassLoop) -> UnhandledError | None:
    """The held sockets still open after asyncTearDownClass and the loop's close, as one error of the class."""
    left = [held for held in loop.held if _points_to(held.fd, held.target)]
    loop.held = []
    if not left:
        return None
    lines = "\n".join(f"  - file descriptor {h.fd} ({h.target}), opened {_when(h.during)}" for h in left)
    count = f"{len(left)} socket{'s' if len(left) > 1 else ''}"
    return UnhandledError(
        f"{count} opened on the loop of class {loop.name} still open after asyncTearDownClass (listed below): close "
        f"what holds {'them' if len(left) > 1 else 'it'} in asyncTearDownClass (a pool: await cls.pool.close())"
        f"\n{lines}"
    )


def _when(during: str) -> str:
    return f"by {during}" if during == "asyncSetUpClass" else f"during {during}"


def _sockets() -> dict[int, str]:
    """The process's open sockets (Linux), by descriptor."""
    found = {}
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return {}
    for name in names:
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found[int(name)] = target
    return found


def _points_to(fd: int, target: str) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == target
    except OSError:
        return False


def task_group_of(cls: type) -> anyio.abc.TaskGroup:
    """The task group of the class loop open for `cls`: open from asyncSetUpClass to asyncTearDownClass."""
    loop = _open
    if loop is None or not issubclass(cls, loop.cls) or loop.session is None or loop.session.task_group is None:
        raise RuntimeError(
            f"{cls.__qualname__}.class_task_group is open only on a class loop, from asyncSetUpClass to "
            f"asyncTearDownClass: set loop_scope = \"class\" on {cls.__qualname__} and use it from those or a test"
        )
    return loop.session.task_group


def leave(cls: type, bound: float) -> None:
    """At tearDownClass: run asyncTearDownClass, close the class's loop, and raise what either found."""
    global _open
    errors = _deferred.pop(cls, [])
    if _open is not None and _open.cls is cls:
        closing, _open = _open, None
        errors.extend(_close(closing, bound))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ClassTeardownErrors(f"{len(errors)} problems in the class teardown of {cls.__qualname__}", errors)


def _close(loop: ClassLoop, bound: float) -> list[BaseException]:
    session = loop.session
    if session is None:
        return []
    errors: list[BaseException] = []
    if loop.failure is None:
        try:
            _run_part(loop, loop.cls.asyncTearDownClass, bound)
        except Exception as exc:  # noqa: BLE001 (reported with the class's teardown)
            errors.append(exc)
    teardown = session.close(bound)
    loop.session = None
    if teardown.residual_tasks:
        errors.append(_leftovers(loop.name, teardown))
    errors.extend(teardown.errors)
    still_open = _still_open(loop)
    if still_open is not None:
        errors.append(still_open)
    return errors


def _leftovers(name: str, teardown: Teardown) -> UnhandledError:
    count = len(teardown.residual_tasks)
    tasks, pronoun = ("1 task", "it") if count == 1 else (f"{count} tasks", "them")
    lines = "\n".join(f"  - {task.describe()}" for task in teardown.residual_tasks)
    return UnhandledError(
        f"{tasks} of class {name} still running after asyncTearDownClass (listed below): await or cancel "
        f"{pronoun} in asyncTearDownClass\n{lines}"
    )
