"""Whether the project's code names an attribute: read once from the bytecode of the modules it imported.

harness opens `self.task_group` for a test only when some code could use it. The anyio task group costs an
import of anyio (~15 ms a run) and a cancel scope per test; a suite that never names `task_group` pays
neither. "The project's code" is every module outside the standard library, site-packages and the async
libraries: the tests and the helpers beside them, wherever they live. A name counts when a function or method
loads, stores or deletes it as an attribute or global, or holds it as a string constant
(`getattr(self, "task_group")`). Code that builds the name at run time, or lives in an installed package, is
not seen: a class says `open_task_group = True` for those (docs/base-classes.md).
"""
from __future__ import annotations

import sys
import types

from harness.findings import projectcode


class Mentions:
    """Whether the project's modules name `name`, kept up to date as modules are imported (cheap between)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.found_in: str | None = None  # the first module seen to name it
        self._read: set[str] = set()  # modules already read, by name
        self._modules_seen = 0

    def __call__(self) -> bool:
        """True once any project module names it; reads only the modules imported since the last call."""
        if self.found_in is not None:
            return True
        if len(sys.modules) != self._modules_seen:
            self._modules_seen = len(sys.modules)
            for module_name, module in list(sys.modules.items()):
                if module_name not in self._read:
                    self._read.add(module_name)
                    if projectcode.is_project(module) and self._read_safely(module):
                        self.found_in = module_name
                        return True
        return False

    def _read_safely(self, module: types.ModuleType) -> bool:
        try:
            codes = projectcode.reading(module).codes
        except Exception:  # an odd object in sys.modules (no __dict__, a lazy module): it names nothing we can see
            return False
        name = self.name
        return any(name in code.co_names or name in code.co_consts for code in codes)


task_group = Mentions("task_group")
