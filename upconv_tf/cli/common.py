"""What every sub-command shares: exit codes, one-line errors, progress bars, JSON output."""

from __future__ import annotations

import sys

from upconv_tf._atomic import write_json  # noqa: F401  (the commands write their JSON with it)
from upconv_tf.errors import NOT_AN_IMAGE, TOO_SMALL, ArgumentError, NoUsableImages, crop_hint

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


# More files than this skipped for one kind of reason are summarised in one line (the JSON lists each).
SUMMARY_AFTER = 5


# Records that are notes, not failures: a file in a walked folder that is not an image was never meant to be
# read, so it does not turn a finished command's exit status into EXIT_PARTIAL (a folder of images with a
# README or a manifest.json is a normal input). An empty folder the user named does (nothing in it was used).
NOTES = (NOT_AN_IMAGE,)


def exit_status(skipped) -> int:
    """EXIT_PARTIAL when a record of ``skipped`` (:class:`~upconv_tf.errors.Skipped`, or their JSON records) is
    not a note (:data:`NOTES`), else EXIT_OK."""
    codes = (item["code"] if isinstance(item, dict) else item.code for item in skipped)
    return EXIT_PARTIAL if any(code not in NOTES for code in codes) else EXIT_OK


def skipped_summary(skipped) -> str:
    """``", N skipped"`` / ``", N ignored"`` for a command's closing line (empty when nothing was left out)."""
    notes = sum((item["code"] if isinstance(item, dict) else item.code) in NOTES for item in skipped)
    failed = len(skipped) - notes
    return (f", {failed} skipped" if failed else "") + (f", {notes} ignored (not images)" if notes else "")


def report_errors(skipped, stream=None) -> None:
    """Print skipped files on stderr: ``skipped PATH: reason`` each (``ignored PATH: reason`` for the notes of
    :data:`NOTES`), except that a kind of reason (a :class:`~upconv_tf.errors.Skipped` code) shared by more than
    :data:`SUMMARY_AFTER` files becomes one line (``skipped N files like PATH: reason``)."""
    stream = stream or sys.stderr
    kinds = {}
    for item in skipped:
        kinds.setdefault(item.code, []).append(item)
    for code, items in kinds.items():
        verb = "ignored" if code in NOTES else "skipped"
        if len(items) > SUMMARY_AFTER:
            print(f"{verb} {len(items)} files like {items[0].path}: {items[0].reason} (--json lists each)",
                  file=stream)
        else:
            for item in items:
                print(f"{verb} {item.path}: {item.reason}", file=stream)


def fitting_size(side: int) -> int:
    """The largest power of two that is at most ``side`` (a crop size every such image allows)."""
    return 1 << (side.bit_length() - 1) if side > 0 else side


def size_hint(skipped, size_option: str = "--size"):
    """One line for files skipped as smaller than the crop (None when there are none): how many, and the
    ``size_option`` that would fit the largest of them."""
    hint = crop_hint(skipped)
    if hint is None:
        return None
    crop, side = hint
    count = sum(item.code == TOO_SMALL for item in skipped)
    return (f"{count} image(s) smaller than the {crop} px crop were skipped; pass {size_option} "
            f"{fitting_size(side)} (or up to {side}) to use them")


def no_usable_image(message: str, skipped, size_option: str = "--size") -> str:
    """The one-line error ``message`` for "nothing usable", plus a smaller ``size_option`` to try when every
    image was skipped for being smaller than the crop."""
    hint = crop_hint(skipped, every=True)
    if hint is not None:
        crop, side = hint
        message += (f": every image is smaller than the {crop} px crop (the largest fits {side} px); "
                    f"pass {size_option} {fitting_size(side)} or less")
    return message


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


# ----------------------------------------------------------------------------------------- shared options
def add_json_option(parser, what: str = "the results") -> None:
    """``--json [FILE]``, the same in every command: FILE, or stdout when FILE is omitted (or ``-``); then the
    human-readable lines go to stderr so that stdout is pure JSON."""
    parser.add_argument("--json", dest="json_path", nargs="?", const="-", metavar="FILE",
                        help=f"write {what} as JSON to FILE, or to stdout when FILE is omitted")


def check_json_target(args) -> None:
    """Refuse a ``--json`` target that is a folder before any work is done (nothing is written)."""
    import os

    path = getattr(args, "json_path", None)
    if path and path != "-" and os.path.isdir(path):
        raise CommandError(f"--json {path}: is a folder; give a file name, e.g. "
                           f"{os.path.join(path, args.command + '.json')}")


def text_stream(args):
    """Where the human-readable lines go: stdout, or stderr when the JSON goes to stdout."""
    return sys.stderr if getattr(args, "json_path", None) == "-" else sys.stdout


def write_json_output(data, args) -> None:
    """Write ``data`` where ``--json`` says (nowhere when it was not given)."""
    import json

    if not args.json_path:
        return
    if args.json_path == "-":
        json.dump(data, sys.stdout, indent=1)
        print()
    else:
        write_json(data, args.json_path)
        print(f"wrote {args.json_path}", file=text_stream(args))


def option_table(parser) -> dict:
    """``{library name: option}`` of a command's parser (``size`` -> ``--size``; a positional argument -> None,
    its value already being in the message): how a library :class:`~upconv_tf.errors.ArgumentError` names the
    option the user typed."""
    table = {}
    for action in parser._actions:
        if action.dest in ("help", "command", "action"):
            continue
        longs = [o for o in action.option_strings if o.startswith("--")]
        table[action.dest] = longs[0] if longs else None
    return table


def describe(error, options=None) -> str:
    """One line for a library error. An :class:`~upconv_tf.errors.ArgumentError` (or
    :class:`~upconv_tf.errors.NoUsableImages`) names its argument and the ones it mentions by the command's options
    (``options``, from :func:`option_table`; a positional argument is left out, its value being in the detail).
    Anything else keeps its own text."""
    if isinstance(error, (ArgumentError, NoUsableImages)) and error.argument:
        options = options or {}

        def spell(name):
            return options.get(name) or f"`{name}`"

        message = error.format(spell)
        if error.argument in options and options[error.argument] is None:  # positional: its value is in the detail
            message = message[len(spell(error.argument)):].lstrip(": ")
        return " ".join(message.split())
    return " ".join(str(error).split()) or type(error).__name__


def policy_choices(native: bool = True) -> tuple:
    """Size policies (:data:`upconv_tf.datasets.folder.POLICIES`); without ``native`` only those that give one
    image size."""
    from upconv_tf.datasets.folder import POLICIES

    return POLICIES if native else tuple(p for p in POLICIES if p != "none")


def mode_choices() -> tuple:
    from upconv_tf.spectral import MODES

    return MODES


def normalize_choices() -> tuple:
    """:data:`upconv_tf.spectral.NORMALIZATIONS` with ``None`` spelled ``none``."""
    from upconv_tf.spectral import NORMALIZATIONS

    return tuple("none" if n is None else n for n in NORMALIZATIONS)


def normalize_value(text):
    """The library value of a ``--normalize`` choice (``none`` -> None)."""
    return None if text == "none" else text


def _group_by(text):
    return {"parent": "folder"}.get(text, text)  # audit's former --groups parent


def group_by_option(parser, what: str) -> None:
    """``--group-by auto|file|prefix|folder`` (:data:`upconv_tf.options.GROUP_BY`), the same in every command."""
    from upconv_tf.options import GROUP_BY

    parser.add_argument("--group-by", "--groups", dest="group_by", type=_group_by, choices=GROUP_BY, default="auto",
                        help=f"{what}: auto (default): the photo of crops named NAME_0001.png (NAME, shared by real "
                             "and generated folders), else the file itself; file; prefix (the file name before "
                             "the last '_'); or folder")


def progress_factory(unit: str = "img"):
    """``progress(total, desc)`` for the library's ``progress`` arguments: a :func:`progress` bar."""
    return lambda total, desc: progress(None, total=total, desc=desc, unit=unit)
