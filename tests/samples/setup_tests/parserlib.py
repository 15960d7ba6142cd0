"""A parsing library whose switches live in a dict changed in place, as pyparsing's packrat switch lives in its
parser class: no probe sees it change."""
_state = {"packrat": False}


def enable_packrat() -> None:
    _state["packrat"] = True


def packrat_enabled() -> bool:
    return _state["packrat"]


class Context:
    """The library's switches, saved to be put back later (pyparsing.testing.reset_pyparsing_context)."""

    def __init__(self) -> None:
        self.packrat = _state["packrat"]

    def restore(self) -> None:
        _state["packrat"] = self.packrat
