"""Records what kind of object a declaration was made on, by exact type, as zope.interface's declarations do."""
import types

MODE = "slow"


def kind_of(target: object) -> str:
    if type(target) is types.ModuleType:
        return "module"
    return type(target).__name__
