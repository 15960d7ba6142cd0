"""A library with module-level switches that its own functions rebind (`global`), as many do."""
import warnings

_use_x = False
_cache = None


def use_x():
    global _use_x
    _use_x = True


def uses_x():
    return _use_x


def register_plugin():
    global _plugin
    _plugin = "fast"


def cached():
    """A lazily filled cache: filling it is not a change worth reporting."""
    global _cache
    if _cache is None:
        _cache = object()
    return _cache


def old_api():
    warnings.warn("old_api is deprecated", UserWarning, stacklevel=1)


_client = None


class Client:
    closed = False

    def close(self):
        self.closed = True


def client():
    global _client
    if _client is None:
        _client = Client()
    return _client


def shutdown():
    global _client
    _client.close()
    _client = None
