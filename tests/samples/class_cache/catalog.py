"""The sample project: a class that loads its data once, on first use, into a class attribute (as CPython's
test_zoneinfo does with ZoneDumpData), and a class whose attribute tests set."""


class Catalog:
    _items: dict[str, int] | None = None

    @classmethod
    def items(cls) -> dict[str, int]:
        if cls._items is None:
            cls._items = {"apple": 1, "pear": 2}
        return cls._items


class Client:
    session: object | None = None
