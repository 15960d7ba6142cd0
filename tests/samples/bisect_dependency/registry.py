"""A plugin registry that tests fill in."""
PLUGINS = {}
