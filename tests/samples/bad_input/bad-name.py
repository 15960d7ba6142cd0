"""A file whose name is not a module name."""
