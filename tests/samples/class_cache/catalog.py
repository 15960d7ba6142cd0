"""The sample project: a class that loads its data once, on first use, into a class attribute (as CPython's
test_zoneinfo does with ZoneDumpData), a class whose attribute tests set, and counters the code keeps for itself
(asyncssh numbers its connections with `SSHConnection.next_conn += 1`)."""


class Catalog:
    _items: dict[str, int] | None = None

    @classmethod
    def items(cls) -> dict[str, int]:
        if cls._items is None:
            cls._items = {"apple": 1, "pear": 2}
        return cls._items


class Client:
    session: object | None = None


class Connection:
    next_conn = 0  # a number for each connection, for its log lines

    def __init__(self) -> None:
        self.number = Connection.next_conn
        Connection.next_conn += 1


_requests = 0  # requests made so far, module-wide


def request() -> int:
    global _requests
    _requests += 1
    return _requests


class Logger:
    _level = 0  # a setting: assigned, never counted

    @classmethod
    def set_level(cls, level: int) -> None:
        cls._level = level
