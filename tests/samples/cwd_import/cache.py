"""Code under test at the project root, imported by tests/ (which has no __init__.py)."""


class Cache(dict):
    pass
