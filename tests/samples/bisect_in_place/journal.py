"""What the application has done so far: a list that code appends to, in place."""
EVENTS: list[str] = []


def record(event):
    EVENTS.append(event)


def needs_reindex():
    """After a schema migration and an import both, the search index must be rebuilt."""
    return "migrated" in EVENTS and "imported" in EVENTS
