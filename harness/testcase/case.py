"""The base classes users subclass: TestCase and AsyncTestCase, with a loop per test and enforced teardown."""
from __future__ import annotations

import gc
import inspect
import unittest
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from harness.findings import mentions
from harness.findings.unhandled import UnawaitedCoroutines, UnhandledError
from harness.reports.records import NO_FINDINGS, Findings
from harness.testcase import clocks, crossloop, scopes, timeouts
from harness.testcase.backends import (
    BackendSpec,
    BackendUnavailable,
    Session,
    UnknownBackend,
    open_session,
    open_test_session,
    run_markers,
    split_spec,
)

if TYPE_CHECKING:
    import anyio.abc

__unittest = True  # unittest leaves this module's frames out of a test's traceback

T = TypeVar("T")

DEFAULT_TEARDOWN_TIMEOUT = 1.0
_defaults = {"teardown_timeout": DEFAULT_TEARDOWN_TIMEOUT, "timeout": timeouts.DEFAULT_TIMEOUT}


def set_default_teardown_timeout(seconds: float) -> None:
    """The bound for cancelling leftover tasks when a class does not set `teardown_timeout` (runner config)."""
    _defaults["teardown_timeout"] = seconds


def set_default_timeout(seconds: float) -> None:
    """The time limit of a test whose method and class set none (runner config; 0: no limit)."""
    _defaults["timeout"] = seconds


# The run's --backend (or `backend` setting): None leaves every class on its own backend.
_forced: dict[str, str | None] = {"backend": None}


def force_backend(name: str | None) -> None:
    """Run every async class that does not pin its backend on `name` (runner config; None: each class's own)."""
    _forced["backend"] = name


def pins_backend(cls: type[AsyncTestCase]) -> bool:
    """Whether the class, or a base of it, sets `backend` or `backends` itself rather than keeping AsyncTestCase's."""
    return any(_owner(cls, name) is not AsyncTestCase for name in ("backend", "backends"))


def _owner(cls: type, name: str) -> type:
    """The class in `cls`'s method resolution order whose body defines `name`."""
    return next(base for base in cls.__mro__ if name in vars(base))


class UnhandledErrors(ExceptionGroup):  # noqa: N818 (reads as what it holds)
    """Several errors that the event loop only logged, raised together as one error of the test."""


def _raise_all(errors: list[UnhandledError], test_id: str) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise UnhandledErrors(f"{len(errors)} errors nobody handled during {test_id}", errors)


class _ClassTaskGroup:
    """`cls.class_task_group`: the anyio task group of the class's loop, open from asyncSetUpClass to
    asyncTearDownClass (loop_scope = "class"); tasks started in it belong to the class, not to a test."""

    def __get__(self, instance: object, owner: type) -> anyio.abc.TaskGroup:
        return scopes.task_group_of(owner)


class TestCase(unittest.TestCase):
    """A unittest.TestCase whose never-awaited coroutines fail the test that dropped them."""

    harness_findings: Findings = NO_FINDINGS
    _harness_unawaited: UnawaitedCoroutines = UnawaitedCoroutines()  # replaced per run; this one for debug()
    timeout: ClassVar[float | None] = None  # seconds each test may take (0: no limit); None: the run's setting

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if vars(cls).get("timeout") is not None:  # a bad value fails the import of its module, naming it
            timeouts.check(cls.timeout, f"{cls.__qualname__}.timeout")

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
        self.harness_findings = NO_FINDINGS
        with UnawaitedCoroutines() as unawaited:
            self._harness_unawaited = unawaited
            return super().run(result)

    def _callSetUp(self) -> None:  # noqa: N802 (unittest's hook)
        # Registered first, so it runs last: after tearDown and every cleanup, still inside the test.
        self.addCleanup(self._harness_finish)
        self._harness_set_up()

    def _harness_set_up(self) -> None:
        self.setUp()

    def _harness_finish(self) -> None:
        gc.collect(1)  # coroutines and tasks dropped in reference cycles report now, to this test
        errors = list(self._harness_unawaited.seen)
        self._harness_unawaited.seen.clear()
        if errors:
            self.harness_findings = Findings(unhandled_errors=tuple(str(e) for e in errors))
        _raise_all(errors, self.id())


class AsyncTestCase(TestCase):
    """A test case whose every test runs on its own fresh event loop, on the backend the class names.

    `asyncSetUp`, the test, `asyncTearDown` and async cleanups run in one task, so contextvars set in
    one are seen by the next; `self.task_group` is open for the whole test. After the cleanups, tasks
    still running are recorded, cancelled within `teardown_timeout` seconds, and the loop is closed.
    """

    backend: ClassVar[BackendSpec] = "asyncio"
    backends: ClassVar[tuple[BackendSpec, ...] | None] = None
    teardown_timeout: ClassVar[float | None] = None
    # "real", or "virtual": idle time jumps to the next timer (docs/virtual-time.md); `self.clock` is the Clock
    clock = clocks.ClockSetting("real")
    loop_scope: ClassVar[scopes.LoopScope] = "test"  # "class": one loop for the class's tests, per backend
    # Whether each test opens self.task_group: None (the default) when the project's code names task_group
    # anywhere (harness/mentions.py), True always, False never.
    open_task_group: ClassVar[bool | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        value = vars(cls).get("clock")
        if value is not None and not isinstance(value, clocks.ClockSetting):  # a bad value fails the import
            cls.clock = clocks.ClockSetting(clocks.check(value, f"{cls.__qualname__}.clock"))
        if "loop_scope" in vars(cls):  # a bad value fails the import of its module, naming the class
            scopes.check(cls.loop_scope, cls)

    def __init__(self, methodName: str = "runTest", *, backend: BackendSpec | None = None) -> None:  # noqa: N803
        super().__init__(methodName)
        self._harness_backend = backend
        self._harness_session: Session | None = None

    # -- identity: one test per backend when the class fans out -------------------------------------
    @property
    def backend_name(self) -> str:
        """The backend this test runs on: its fan-out copy's, else the run's forced one or the class's."""
        spec = self._harness_spec()
        try:
            return split_spec(spec)[0]  # ("asyncio", {"use_uvloop": True}) runs on asyncio+uvloop
        except UnknownBackend:  # reported when the test runs; its id and report still name it
            return spec if isinstance(spec, str) else spec[0]

    def _harness_spec(self) -> BackendSpec:
        """The spec this test's loop is made from: a class that pins its backend is never forced onto another."""
        if self._harness_backend is not None:
            return self._harness_backend
        forced = _forced["backend"]
        if forced is not None and not pins_backend(type(self)):
            return forced
        return type(self).backend

    def id(self) -> str:
        try:
            return self._harness_id  # type: ignore[has-type]
        except AttributeError:  # made once: the runner asks for it many times a test
            pass
        text = super().id()
        if self._harness_backend is not None and type(self).backends is not None:
            text = f"{text}[{self.backend_name}]"
        self._harness_id = text
        return text

    def __str__(self) -> str:
        text = super().__str__()
        if self._harness_backend is None or type(self).backends is None:
            return text
        return f"{text} [{self.backend_name}]"

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return super().__eq__(other) and self._harness_backend == other._harness_backend  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((super().__hash__(), repr(self._harness_backend)))

    def fan_out(self) -> list[AsyncTestCase]:
        """One copy of this test per backend in `backends` (itself when the class has one backend)."""
        backends = type(self).backends
        if self._harness_backend is not None or not backends:
            return [self]
        return [type(self)(self._testMethodName, backend=spec) for spec in backends]

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
        copies = self.fan_out()
        if copies == [self]:
            self._harness_enter_class_loop()
            return super().run(result)
        for copy in copies:  # under plain unittest or pytest: run every backend in turn
            result = copy.run(result)
        return result

    # -- the task group ------------------------------------------------------------------------------
    @property
    def task_group(self) -> anyio.abc.TaskGroup:
        """An anyio task group open from asyncSetUp to the end of the cleanups, on every backend."""
        session = self._harness_session
        if session is not None and not session.with_task_group:
            raise RuntimeError(
                f"self.task_group of {self.id()} is not open: harness opens it only when the project's code names "
                "task_group, and it read none (code in an installed package, or a name built at run time, is not "
                f"read); set open_task_group = True on {type(self).__qualname__}"
            )
        if session is None or session.task_group is None:
            raise RuntimeError(
                f"self.task_group of {self.id()} is open only while the test runs its async parts "
                "(asyncSetUp, the test, asyncTearDown, async cleanups): use it from one of those"
            )
        return session.task_group

    # -- the clock: `self.clock` (clocks.ClockSetting calls this) --------------------------------------
    def _harness_clock(self) -> clocks.Clock:
        session = self._harness_session
        if session is None:
            raise RuntimeError(
                f"self.clock of {self.id()} exists only while the test runs (setUp to the last cleanup): "
                "use it from asyncSetUp, the test, asyncTearDown or a cleanup"
            )
        return session.clock(self.id())

    class_task_group = _ClassTaskGroup()

    # -- user hooks ------------------------------------------------------------------------------------
    @classmethod
    async def asyncSetUpClass(cls) -> None:  # noqa: N802
        """With loop_scope = "class": runs on the class's loop before its first test (after setUpClass)."""

    @classmethod
    async def asyncTearDownClass(cls) -> None:  # noqa: N802
        """With loop_scope = "class": runs on the class's loop after its last test, then the loop is closed."""

    @classmethod
    def tearDownClass(cls) -> None:  # noqa: N802
        """Runs asyncTearDownClass and closes the class's loop (loop_scope = "class"); call it from an override."""
        scopes.leave(cls, _class_bound(cls))

    async def asyncSetUp(self) -> None:  # noqa: N802
        """Runs after setUp, in the test's task."""

    async def asyncTearDown(self) -> None:  # noqa: N802
        """Runs before tearDown, in the test's task."""

    def addAsyncCleanup(self, func: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        """Register an async cleanup; cleanups run last-in first-out, in the test's task."""
        self.addCleanup(func, *args, **kwargs)

    async def enterAsyncContext(self, cm: Any) -> Any:  # noqa: N802
        """Enter an async context manager now and exit it as a cleanup; returns what it yields."""
        cls = type(cm)
        try:
            enter, exit_ = cls.__aenter__, cls.__aexit__
        except AttributeError:
            raise TypeError(
                f"'{cls.__module__}.{cls.__qualname__}' object does not support the asynchronous context "
                "manager protocol: pass an object with __aenter__ and __aexit__ (for a sync one, use enterContext)"
            ) from None
        result = await enter(cm)
        self.addAsyncCleanup(exit_, cm, None, None, None)
        return result

    # -- unittest's seam: every part goes through the session ------------------------------------------
    def _harness_set_up(self) -> None:
        spec = self._harness_spec()
        try:
            split_spec(spec)
            self._harness_session = self._harness_open(spec)
        except UnknownBackend as exc:
            raise UnknownBackend(f"{exc} (in {type(self).__qualname__} of {type(self).__module__})") from None
        except BackendUnavailable as exc:
            raise unittest.SkipTest(str(exc)) from None
        limit = timeouts.find(self, _defaults["timeout"])
        if limit is not None:
            self._harness_session.limit_to(limit, self._harness_bound())
        if _overrides(self, "setUp", unittest.TestCase):
            self._harness_session.run_sync(self.setUp)
        if _overrides(self, "asyncSetUp", AsyncTestCase):
            self._harness_session.call(self.asyncSetUp)

    def _harness_open(self, spec: BackendSpec) -> Session:
        """This test's session: on a fresh loop, or on its class's loop (loop_scope = "class")."""
        clock = clocks.find(self)
        cls = type(self)
        if cls.loop_scope != "class":
            hooks = [name for name in ("asyncSetUpClass", "asyncTearDownClass")
                     if getattr(cls, name).__func__ is not getattr(AsyncTestCase, name).__func__]
            if hooks:
                raise TypeError(
                    f"{cls.__qualname__} defines {' and '.join(hooks)}, which "
                    f"{'runs' if len(hooks) == 1 else 'run'} only on a class's own loop: set "
                    "loop_scope = \"class\" on it, or do that work in asyncSetUp for each test"
                )
        if type(self).loop_scope == "class":
            if clock != "real":
                raise RuntimeError(
                    f"{type(self).__qualname__} has loop_scope = 'class' and a virtual clock, which harness does not "
                    "combine yet: its tests share one loop, and a clock per test cannot be; use one of the two"
                )
            return open_test_session(scopes.current(type(self), spec, self.id()).session)  # type: ignore[arg-type]
        wanted = cls.open_task_group
        session = open_session(spec, clock, mentions.task_group() if wanted is None else wanted)
        if session.loop is not None:
            crossloop.record(session.loop, self.id())
        return session

    def _harness_enter_class_loop(self) -> None:
        """Open the class's loop if this is its first test (before the test's probes start watching)."""
        cls = type(self)
        if cls.loop_scope != "class" or _skipped(self):
            return
        spec = self._harness_spec()
        try:
            split_spec(spec)
        except UnknownBackend:
            return  # the test's set-up reports it
        limit = timeouts.find(self, _defaults["timeout"])
        scopes.enter(cls, spec, self.id(), limit, self._harness_bound())

    def _callTestMethod(self, method: Callable[[], Any]) -> None:  # noqa: N802
        session = self._harness_session
        assert session is not None
        if inspect.iscoroutinefunction(method):
            if _overrides(self, "asyncTearDown", AsyncTestCase) or _overrides(self, "tearDown", unittest.TestCase):
                result = session.call(method)
            else:  # the last async part unless the test adds a cleanup: only _harness_finish is left then
                result = session.call_last(method, lambda: len(self._cleanups) == 1)  # type: ignore[attr-defined]
        else:
            result = session.run_sync(method)
        if result is not None:
            import warnings

            warnings.warn(
                f"It is deprecated to return a value that is not None from a test case ({method})",
                DeprecationWarning, stacklevel=3,
            )

    def _callTearDown(self) -> None:  # noqa: N802
        session = self._harness_session
        assert session is not None
        if _overrides(self, "asyncTearDown", AsyncTestCase):
            session.call(self.asyncTearDown)
        if _overrides(self, "tearDown", unittest.TestCase):
            session.run_sync(self.tearDown)

    def _callCleanup(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        session = self._harness_session
        if session is None or function == self._harness_finish:
            function(*args, **kwargs)
        elif inspect.iscoroutinefunction(function):
            session.call(function, *args, **kwargs)
        else:
            result = session.run_sync(function, *args, **kwargs)
            if inspect.isawaitable(result):
                session.call(_awaited, result)

    def _harness_bound(self) -> float:
        """Seconds enforced teardown, and each part after a timeout, may take."""
        return self.teardown_timeout if self.teardown_timeout is not None else _defaults["teardown_timeout"]

    def _harness_finish(self) -> None:
        session, self._harness_session = self._harness_session, None
        if session is None:
            return super()._harness_finish()
        bound = self._harness_bound()
        logged = session.errors  # the loop's handler keeps appending while garbage is collected below
        teardown = session.close(bound)
        if type(self).loop_scope == "test":
            for marker in run_markers(session):  # a trio run: its token and main task name this test later
                crossloop.record(marker, self.id())
        del session  # our last reference: what the loop still held is collected now, for this test
        gc.collect(1)
        errors = logged + self._harness_unawaited.seen
        self._harness_unawaited.seen.clear()
        if teardown.residual_tasks or teardown.pending_callbacks or errors:
            self.harness_findings = Findings(
                residual_tasks=teardown.residual_tasks, unhandled_errors=tuple(str(e) for e in errors),
                pending_callbacks=teardown.pending_callbacks,
            )
        _raise_all(errors, self.id())


def extend_limit(test: unittest.TestCase, seconds: float) -> None:
    """Give the running test `seconds` more before its time limit: the time a debugger held it (run.debugging)."""
    session = getattr(test, "_harness_session", None) if isinstance(test, AsyncTestCase) else None
    if session is not None:
        session.extend(seconds)


def class_loop_name(test: unittest.TestCase) -> str:
    """The name crossloop knows a test's class loop by; "" for a test on a loop of its own."""
    if not isinstance(test, AsyncTestCase) or type(test).loop_scope != "class":
        return ""
    spec = test._harness_backend if test._harness_backend is not None else type(test).backend
    return scopes.label(type(test), spec)


def _skipped(case: unittest.TestCase) -> bool:
    method = getattr(case, case._testMethodName, None)
    return bool(getattr(type(case), "__unittest_skip__", False) or getattr(method, "__unittest_skip__", False))


def _class_bound(cls: type[AsyncTestCase]) -> float:
    return cls.teardown_timeout if cls.teardown_timeout is not None else _defaults["teardown_timeout"]


def _overrides(case: unittest.TestCase, name: str, base: type) -> bool:
    """Whether the test's class replaces a no-op hook (skipping the no-op saves a trip through the loop)."""
    return getattr(type(case), name) is not getattr(base, name)


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable
