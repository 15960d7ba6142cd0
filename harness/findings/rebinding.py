"""Attributes rebound during a test: on modules as it happens, on the project's classes by identity snapshot.

Scanning every module's namespace around every test would cost milliseconds in a process with a thousand
modules. Instead each plain module's type is swapped, once, for a subclass whose `__setattr__` and
`__delattr__` note the first value of what they are about to change: a clean test pays nothing, and a
test that rebinds `json.dumps` pays one dict insert. Assignments a module makes to its own globals
(`global x; x = 1`) do not go through `__setattr__`: outside the project they are that module's own business.

Classes cannot be watched that way (their type is `type`), nor globals a module's functions rebind. For the
project's own modules (the ones under the working directory, and the packages under test wherever they are
installed: `watch_packages`), harness reads the bytecode of their functions once, collects every attribute name
a `x.name = ...` or `del x.name` can write and every global a `global x; x = ...` can, and around each test
compares only those attributes of those classes and modules and those globals, by identity: a clean test pays
for the few names that some project code assigns, not for every class and module. The project's modules keep
their plain type (a suite may check `type(module) is ModuleType` on its own modules, as zope.interface's
declarations do), so a `setattr(module, computed_name, value)` on them is not seen, nor on classes; classes of
the standard library and of other installed packages are covered when they are patched with `unittest.mock` (the
mock probe).
"""
from __future__ import annotations

import builtins
import dataclasses
import dis
import os
import sys
import types
from collections.abc import Iterable
from typing import Any, NamedTuple

from harness.findings import projectcode
from harness.reports.report_text import describe

MISSING: Any = object()

# Attributes other probes watch and restore better (hooks, streams, paths, tempdir), or that change by design.
_OTHER_PROBES = frozenset({"sys", "warnings", "threading", "tempfile", "__main__"})
_HOT_PACKAGES = frozenset({"asyncio", "anyio", "trio", "unittest", "harness", "concurrent", "uvloop", "sniffio"})
_WATCHED_SUBMODULES = frozenset({"concurrent.futures"})  # tests patch its ThreadPoolExecutor; nothing reads it per test


class _WatchedModule(types.ModuleType):
    """A module whose attribute writes are noted (harness swaps this type in for the run, then back)."""

    def __setattr__(self, name: str, value: Any) -> None:
        _note(self, name)
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        _note(self, name)
        super().__delattr__(name)


# Named as the type it stands in for: tests see `type(json).__name__ == "module"`, and messages that name the type
# ("cannot pickle 'module' object", "Object of type module is not JSON serializable") read as without harness.
_WatchedModule.__name__ = _WatchedModule.__qualname__ = "module"
_WatchedModule.__module__ = "builtins"

# Attributes the interpreter itself writes on modules: the warnings registry (`assertWarns` empties every module's),
# and what `importlib.reload` sets again. Not a test's doing.
_INTERPRETER_WRITES = frozenset({
    "__warningregistry__", "__spec__", "__loader__", "__package__", "__path__", "__file__", "__cached__",
    "__builtins__", "__name__", "__doc__",
})


_notes: dict[tuple[int, str], tuple[Any, str, Any]] = {}
_watched: list[types.ModuleType] = []
_modules_seen = 0
_classes: list[type] = []
_stored: set[str] = set()  # attribute names some project code assigns or deletes
_globals: list[tuple[types.ModuleType, str]] = []  # (project module, a global its functions assign or delete)
_own_globals: set[tuple[int, str]] = set()  # the same, as (id(module), name)
# id(watched module) -> its namespace when it was first seen (a copy): what the globals its own functions assign
# held then, read only when a change to one is judged (`_as_first_seen`)
_initial: dict[int, dict[str, Any]] = {}
_assigned: dict[int, frozenset[str]] = {}  # id(watched module) -> those globals, read on first need
_self_written: dict[int, frozenset[str]] = {}  # id(project class) -> the attribute names its own methods assign
_project_modules: list[types.ModuleType] = []  # read as the project's: compared by pairs, their type left plain
_read: set[int] = set()  # ids of the modules in _project_modules
_pairs: list[tuple[Any, str]] = []  # (project class or module, attribute name) worth comparing around each test
_packages: frozenset[str] = frozenset()  # packages watched as the project's own wherever installed (`watch_packages`)
_WRITES = frozenset(dis.opmap[name] for name in ("STORE_ATTR", "DELETE_ATTR"))
_GLOBAL_WRITES = frozenset(dis.opmap[name] for name in ("STORE_GLOBAL", "DELETE_GLOBAL"))
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]
_root = os.path.join(os.getcwd(), "")


def _note(owner: Any, name: str) -> None:
    key = (id(owner), name)
    if key in _notes or name in _INTERPRETER_WRITES or name == "_" and owner is builtins:
        return  # (`builtins._`: the last value sys.displayhook showed, in a doctest or the interactive interpreter)
    if sys._getframe(2).f_code.co_name == "<module>":
        return  # a module's top-level code patching another module as it is imported is the library's design
    _notes[key] = (owner, name, owner.__dict__.get(name, MISSING))


def _library_globals(namespace: dict[str, Any]) -> list[str]:
    """The globals a watched module's own top-level functions assign (`global _USE_CP_SENDFILE; _USE_CP_SENDFILE =
    False` in shutil, `global ThreadPoolExecutor` in concurrent.futures' lazy `__getattr__`), from its namespace as
    harness first saw it: a few bytes searched per function, the first time a test leaves one of its globals changed.

    Such a store bypasses the module's type, so a note taken at a test's first `setattr` could hold what the module
    itself wrote earlier in the same test, not what was there when the test began: shutil turns sendfile off, the
    test sets it back on, and putting back the noted "off" would be wrong. Their values when the module was first
    seen are kept (`_initial`): a test that leaves one as it was then left nothing to report.
    """
    names: set[str] = set()
    try:
        for value in list(namespace.values()):
            if type(value) is types.FunctionType:
                _read_names(value.__code__, _GLOBAL_MARKERS, names)
    except Exception:  # noqa: BLE001 (an odd module: nothing read)
        return []
    return sorted(names - _INTERPRETER_WRITES)


class Snapshot(NamedTuple):
    """The notes of one window (filled while the test runs) and the watched class attributes' values.

    A named tuple rather than a frozen dataclass: two are made per test, and a tuple is made in a third of the time.
    """

    notes: dict[tuple[int, str], tuple[Any, str, Any]]
    pairs: list[tuple[Any, str]]
    values: tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class Change:
    """One attribute that holds something else than before the test."""

    owner: Any
    name: str
    before: Any
    after: Any

    def describe(self) -> str:

        label = f"{_owner_name(self.owner)}.{self.name}"
        if self.after is MISSING:
            return f"{label} deleted"
        if self.before is MISSING:
            return f"{label} created ({describe(self.after)})"
        return f"{label} replaced by {describe(self.after)}"

    @property
    def on_test_class(self) -> bool:
        """Whether the attribute is a test class's (a unittest.TestCase subclass): reported, never put back.

        A test class's attributes are the suite's own wiring, read only by its tests: a test that sets one for the
        tests after it (pyparsing's `Test03_EnablePackratParsing` stores the parser context that
        `Test04_WithPackrat` restores in its setUp, after turning on packrat parsing, which no probe sees) would be
        half undone, and the tests after it would fail where they pass without harness's restore.
        """
        unittest = sys.modules.get("unittest")
        return (unittest is not None and isinstance(self.owner, type)
                and issubclass(self.owner, unittest.TestCase))

    def undo(self) -> None:
        if self.before is MISSING:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.before)


def _owner_name(owner: Any) -> str:
    if isinstance(owner, types.ModuleType):
        return owner.__name__
    return getattr(owner, "__qualname__", repr(owner))


def snapshot() -> Snapshot:
    """Start a new window of notes (the returned dict fills as the test runs) and snapshot the classes."""
    global _notes
    _watch_new_modules()
    _notes = {}
    return Snapshot(_notes, _pairs, tuple([vars(c).get(n, MISSING) for c, n in _pairs]))


def changes(before: Snapshot, after: Snapshot) -> list[Change]:
    """What the window between the two snapshots rebound and did not put back.

    The notes are of swapped modules, the pairs of the project's modules and classes, which are never swapped: no
    attribute is in both.
    """
    found = [
        Change(owner, name, old, new)
        for owner, name, old in before.notes.values()
        if old is not MISSING and not _same_value(old, new := owner.__dict__.get(name, MISSING))
        and (new is not MISSING or _defined_in(old, owner))
        and not _as_first_seen(owner, name, new)
    ]
    # (a test that imported modules rebuilt the pairs: compare what was watched when it started)
    now = after.values if after.pairs is before.pairs else tuple([vars(c).get(n, MISSING) for c, n in before.pairs])
    if now != before.values:
        found.extend(
            Change(owner, name, old, new)
            for (owner, name), old, new in zip(before.pairs, before.values, now, strict=True)
            if not _same_value(old, new) and _worth(owner, name, old)
        )
    return found


def _as_first_seen(owner: Any, name: str, value: Any) -> bool:
    """Whether a global the module rebinds itself holds what it held when harness first saw the module."""
    namespace = _initial.get(id(owner))
    if namespace is None:
        return False
    assigned = _assigned.get(id(owner))
    if assigned is None:  # read once, the first time a test leaves one of the module's globals changed
        assigned = _assigned[id(owner)] = frozenset(_library_globals(namespace))
    return name in assigned and _same_value(namespace.get(name, MISSING), value)


def _defined_in(value: Any, owner: Any) -> bool:
    """Whether a deleted attribute held something its module defines (a function, a class): only then is the
    deletion the test's doing for sure. The note of a deletion takes the value found then, which an earlier write
    in the same test may have put there unseen (`builtins.__dict__["gettext"] = ...` by gettext's `install()`,
    which the test then deletes, as CPython's test_gettext does): putting that back would bring the leak back."""
    return getattr(value, "__module__", None) == getattr(owner, "__name__", MISSING)


# Values compared by equality when the object differs: a test that sets `module.OVERRIDES = {}` back in its tearDown
# (CPython's test_locale) restored the state, if not the very object. Objects of other types are compared by identity.
_PLAIN = frozenset({str, bytes, int, float, bool, complex, tuple, frozenset, dict, list, set, type(None)})


def _same_value(old: Any, new: Any) -> bool:
    """Whether an attribute holds what it held: the same object, or an equal plain value (an empty dict for one)."""
    if old is new:
        return True
    if type(old) is not type(new) or type(old) not in _PLAIN:
        return False
    try:
        return bool(old == new)
    except Exception:  # noqa: BLE001 (an element's __eq__ raised: not the same)
        return False


def _worth(owner: Any, name: str, old: Any) -> bool:
    """Whether a watched pair that holds another value is a change to report (and undo).

    An attribute that did not exist is a lazy cache. A module global its own functions write, or a class attribute
    its own methods write (`if cls._data is None: cls._data = load()`), that was None, or is None now, is a cache
    being filled (`global _cache; _cache = build()`) or emptied (`_client.close(); _client =
    None`): putting back a client the test closed would break the next test, where leaving it lets the module make
    a new one. One that its own code only ever increments, holding a larger whole number than before, is a counter
    the module or class keeps (`SSHConnection.next_conn += 1` in asyncssh, a number for each connection's log
    lines): using the library moved it on; putting it back would hand out the same numbers again.
    """
    key = (id(owner), name)
    if key not in _own_globals and name not in _self_written.get(id(owner), ()):
        return old is not MISSING
    new = owner.__dict__.get(name)
    return old is not None and new is not None and not _counted_on(owner, name, old, new)


def _counted_on(owner: Any, name: str, old: Any, new: Any) -> bool:
    """Whether `new` is a counter's later value: both plain whole numbers (not bools), the new one larger, and every
    write the owner's own code makes to the name an increment (`next_conn += 1`; a setting such as asyncssh's
    `SSHLogger._debug_level = level` is assigned, and stays a finding when a test raises it)."""
    return type(old) is int and type(new) is int and new > old and _only_incremented(owner, name)


_incremented: dict[tuple[int, str], bool] = {}  # (id(owner), name) -> whether its own code only increments it


def _only_incremented(owner: Any, name: str) -> bool:
    key = (id(owner), name)
    found = _incremented.get(key)
    if found is None:  # read once, the first time such a value grows: a few functions' instructions
        attribute = isinstance(owner, type)
        codes = projectcode.class_codes(owner) if attribute else projectcode.reading(owner).codes
        found = _incremented[key] = _writes_are_increments(codes, name, "STORE_ATTR" if attribute else "STORE_GLOBAL")
    return found


def _writes_are_increments(codes: Iterable[types.CodeType], name: str, store: str) -> bool:
    """Whether `codes` write `name` (with `store`), each time as the end of an `+=`."""
    written = False
    for code in codes:
        last = None  # the last instruction before this one, past the stack shuffles of an augmented assignment
        for instruction in dis.get_instructions(code):
            if instruction.opname == store and instruction.argval == name:
                if last is None or last.opname != "BINARY_OP" or last.argrepr != "+=":
                    return False
                written = True
            if instruction.opname not in ("SWAP", "EXTENDED_ARG", "CACHE"):
                last = instruction
    return written


def _watch_new_modules() -> None:
    """Swap the type of modules imported since the last look (cheap: only when sys.modules grew)."""
    global _modules_seen
    if len(sys.modules) == _modules_seen:
        return
    _modules_seen = len(sys.modules)
    grew = False
    for name, module in list(sys.modules.items()):
        if type(module) is not types.ModuleType or id(module) in _read or not _watchable(name):
            continue
        if _read_project_module(name, module):
            _read.add(id(module))
            _project_modules.append(module)
            grew = True
        else:
            module.__class__ = _WatchedModule
            _watched.append(module)
            _initial[id(module)] = dict(module.__dict__)  # a copy in C: which globals count is read when needed
    if grew:
        global _pairs
        owners = (*_classes, *_project_modules)
        names = _stored - _INTERPRETER_WRITES
        pairs = [(owner, name) for owner in owners for name in names.intersection(vars(owner))]
        _pairs = list(dict.fromkeys(pairs + _globals))


def _watchable(name: str) -> bool:
    """Every module but those other probes cover, and the internals the per-test path reads all the time.

    A watched module's attributes read about twice as slowly (CPython specialises reads on plain modules
    only): `asyncio.sleep` is watched, `asyncio.events` and `asyncio.base_events` are not. `builtins` is watched
    (`print`, `open`): names a function reads from builtins go through its dict, not the module's type.
    """
    top, dot, _ = name.partition(".")
    return top not in _OTHER_PROBES and not (dot and top in _HOT_PACKAGES and name not in _WATCHED_SUBMODULES)


def _read_project_module(name: str, module: types.ModuleType) -> bool:
    """Collect a project module's classes, the attribute names its code writes and the globals its functions
    assign; False if not the project's.

    The project: modules under the working directory that are not installed code, and the packages
    `watch_packages` names, wherever they are installed (a suite testing its package as installed, from a wheel).
    """
    if not (_in_packages(name) or projectcode.is_project(module)
            and module.__file__.startswith(_root)):  # type: ignore[union-attr]
        return False
    found = projectcode.reading(module)
    _classes.extend(found.classes)
    for cls in found.classes:
        written: set[str] = set()
        for code in projectcode.class_codes(cls):
            _read_names(code, _WRITE_MARKERS, written)
        if written:
            _self_written[id(cls)] = frozenset(written)
    assigned: set[str] = set()
    for code in found.codes:
        _read_names(code, _WRITE_MARKERS, _stored)
        _read_names(code, _GLOBAL_MARKERS, assigned)
    assigned -= _INTERPRETER_WRITES  # a suite resetting its `__warningregistry__` writes the interpreter's cache
    _globals.extend((module, global_name) for global_name in sorted(assigned))
    _own_globals.update((id(module), global_name) for global_name in assigned)
    return True


def _in_packages(name: str) -> bool:
    """Whether `name` is one of the packages under test, or inside one (a set lookup per dotted prefix)."""
    if not _packages:
        return False
    end = name.find(".")
    while end != -1:
        if name[:end] in _packages:
            return True
        end = name.find(".", end + 1)
    return name in _packages


def watch_packages(names: Iterable[str]) -> None:
    """Watch these packages (and modules) as the project's own, installed or not: the top-level packages of the
    test modules, and the `watch` setting. Modules already watched are read again at the next snapshot."""
    global _packages, _modules_seen, _pairs
    packages = frozenset(names)
    if packages != _packages:
        _packages = packages
        _modules_seen = 0
        _pairs = []
        for module in _watched:  # read at the next snapshot, as modules new to the watch
            if type(module) is _WatchedModule:
                module.__class__ = types.ModuleType
        _forget()


def _read_names(code: types.CodeType, markers: tuple[bytes, ...], into: set[str]) -> None:
    """The names one code object's instructions of `markers` write (its nested code is read on its own:
    projectcode lists it)."""
    raw = code.co_code
    for marker in markers:  # bytes.find runs in C: only the few places holding the opcode's byte are looked at
        index = raw.find(marker)
        while index != -1:
            if index % 2 == 0:  # an instruction, not an argument (every instruction is two bytes)
                into.add(code.co_names[_argument(raw, index)])
            index = raw.find(marker, index + 1)


def _argument(raw: bytes, index: int) -> int:
    """The argument of the instruction at `index`, with the EXTENDED_ARG instructions before it."""
    arg, shift, back = raw[index + 1], 8, index - 2
    while back >= 0 and raw[back] == _EXTENDED_ARG:
        arg |= raw[back + 1] << shift
        shift += 8
        back -= 2
    return arg


_WRITE_MARKERS = tuple(bytes([op]) for op in sorted(_WRITES))
_GLOBAL_MARKERS = tuple(bytes([op]) for op in sorted(_GLOBAL_WRITES))


def unwatch() -> None:
    """Give every watched module its plain type back (the end of a run)."""
    global _modules_seen
    for module in _watched:
        if type(module) is _WatchedModule:
            module.__class__ = types.ModuleType
    _forget()
    _pairs.clear()
    _modules_seen = 0


def _forget() -> None:
    """Drop what was read of the project and the list of swapped modules (their types are plain again)."""
    for found in (_watched, _classes, _stored, _globals, _own_globals, _project_modules, _read, _initial,
                  _assigned, _self_written):
        found.clear()
