"""Which probes a run uses: the built-in ones not disabled, then the user's, loaded by "module:Class"; a name that
does not load is a UsageError before anything runs."""
from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

from harness.probes import BUILTIN
from harness.probes.base import Probe
from harness.run.config import UsageError


def builtin_names() -> tuple[str, ...]:
    """The names `--no-probes` accepts."""
    return tuple(probe.name for probe in BUILTIN)


def choose(disabled: Sequence[str], extra: Sequence[str]) -> list[Probe]:
    """The probes a run uses: the built-in ones not disabled, then the user's, by "module:Class"."""
    names = builtin_names()
    unknown = [name for name in disabled if name not in names and name != "all"]
    if unknown:
        raise UsageError(f"unknown probe {unknown[0]!r} (in --no-probes or disable_probes); choose from: all, "
                         f"{', '.join(names)}")
    chosen: list[Probe] = [] if "all" in disabled else [p() for p in BUILTIN if p.name not in disabled]
    return chosen + [_load(spec) for spec in extra]


def loaded(chosen: Sequence[Probe]) -> None:
    """Tell each probe the tests are loaded (`Probe.loaded`); a probe that raises is named, and the run goes on."""
    for probe in chosen:
        try:
            probe.loaded()
        except Exception as exc:
            print(f"harness: probe {probe.name!r} failed after loading: {type(exc).__name__}: {exc}", file=sys.stderr)


def _load(spec: str) -> Probe:
    if ":" in spec:
        module_name, _, class_name = spec.partition(":")
    else:
        module_name, _, class_name = spec.rpartition(".")
    if not module_name or not class_name:
        raise UsageError(f"cannot load probe {spec!r}: it names no class; give it as module:Class")
    try:
        found: Any = importlib.import_module(module_name)
        for part in class_name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UsageError(f"cannot load probe {spec!r}: {exc}; give it as module:Class") from None
    if not (isinstance(found, type) and issubclass(found, Probe)):
        raise UsageError(f"probe {spec!r} is not a subclass of harness.Probe")
    try:
        return found()
    except Exception as exc:
        raise UsageError(f"probe {spec!r} could not be created: {type(exc).__name__}: {exc}") from None
