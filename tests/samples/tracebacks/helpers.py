"""The project's code the tests call: a failure inside it, and a call into the standard library that fails."""
import json


def total(prices):
    return sum(prices) + prices_tax(prices)


def prices_tax(prices):
    raise ValueError(f"no tax rate for {len(prices)} prices")


def settings(text):
    return json.loads(text)
