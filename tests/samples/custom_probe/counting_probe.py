"""A user's own probe: the entries of an application cache, snapshot, diffed and restored."""
import harness

CACHE: dict = {}


class CacheProbe(harness.Probe):
    name = "app-cache"

    def snapshot(self):
        return dict(CACHE)

    def diff(self, before, after):
        return [f"CACHE[{key!r}] added" for key in after.keys() - before.keys()]

    def restore(self, before, after):
        CACHE.clear()
        CACHE.update(before)


class NotAProbe:
    pass
