"""Put first on PYTHONPATH, this stands in for an environment where uvloop is not installed."""
raise ModuleNotFoundError("No module named 'uvloop'", name="uvloop")
