"""A module that a test removes from sys.modules."""
VALUE = 1
