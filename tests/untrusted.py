"""Shared by the untrusted-file tests: a one-line error check (the marker fixture is in conftest.py)."""


def one_line(error) -> str:
    """The error's text, asserting it is a single line."""
    text = str(error)
    assert "\n" not in text.strip(), text
    return text
