"""What every sub-command shares: exit codes, one-line errors, progress bars, JSON output."""

from __future__ import annotations

import sys

from upconv_tf._atomic import write_json  # noqa: F401  (the commands write their JSON with it)

# Documented exit status of every command.
EXIT_OK = 0
EXIT_USAGE = 1  # bad arguments or a failure that stopped the command
EXIT_PARTIAL = 2  # the command finished, but some input files were skipped (listed in the output)


class CommandError(Exception):
    """A failure the user can fix; printed as one line, exit status 1."""


def progress(iterable, total=None, desc=None, unit="img"):
    """A tqdm progress bar on stderr, silent when stderr is not a terminal or for short runs."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=None, leave=False, file=sys.stderr)


def report_errors(errors, stream=None) -> None:
    """Print each skipped file as ``skipped PATH: reason`` (to stderr by default)."""
    for path, reason in errors:
        print(f"skipped {path}: {reason}", file=stream or sys.stderr)


def int_at_least(minimum):
    """argparse type factory: an integer >= ``minimum``."""

    def parse(text):
        import argparse

        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)
