"""The application's settings, one dict that tests may change in place."""
VALUES = {"mode": "production"}
