"""A folder without tests."""
