"""Limits the application reads; tests may lower them."""
MAX_BATCH = 50
