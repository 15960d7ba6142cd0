"""Not a test module: the discovery pattern is test*.py."""
