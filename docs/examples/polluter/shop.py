"""A tiny shop: prices are labelled in the shop's currency."""
CURRENCY = "EUR"


def price_label(cents):
    return f"{cents / 100:.2f} {CURRENCY}"
