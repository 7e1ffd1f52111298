"""The ``upconv-tf`` command. Each sub-command lives in its own module with a ``register`` function; the
work itself is done by library functions, the command modules parse options and print."""

from __future__ import annotations

import argparse
import importlib
import sys

from upconv_tf.cli.common import (
    EXIT_USAGE,
    CommandError,
    check_json_target,
    describe,
    no_usable_image,
    option_table,
    report_errors,
)
from upconv_tf.errors import NoUsableImages

# Modules under upconv_tf.cli that add a sub-command.
COMMANDS = ["spectrum", "corpus", "demo", "audit", "detector", "detect", "score", "export", "train", "generate",
            "refine"]
EPILOG = ("Exit status: 0 success, 1 usage error or failure (nothing usable), 2 finished but some input files "
          "were skipped (listed on stderr and in the JSON output).")
VERBOSE_HELP = "also show TensorFlow's own log lines and library warnings (hidden by default)"


class ArgumentParser(argparse.ArgumentParser):
    """argparse exits with status 2 on a usage error; here 2 means "some files skipped", so use 1.

    A parser that runs a command (``runs_command``) refuses the options it does not know itself, with its own
    usage line: argparse would hand them up to the top-level parser, whose usage does not list them.
    """

    runs_command = False

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if self.runs_command and extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _leaf_parsers(parser):
    """Every parser under ``parser`` that runs a command (has no sub-commands of its own)."""
    children = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not children:
        yield parser
    for action in children:
        for child in dict.fromkeys(action.choices.values()):
            yield from _leaf_parsers(child)


def build_parser(commands=None):
    """The ``upconv-tf`` parser with ``commands`` (default: all of :data:`COMMANDS`)."""
    from upconv_tf import __version__

    parser = ArgumentParser(
        prog="upconv-tf",
        description="See, fix and detect what up-convolutions do to the spectrum of generated images.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"upconv-tf {__version__}")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                       parser_class=ArgumentParser)
    for name in COMMANDS if commands is None else commands:
        importlib.import_module(f"upconv_tf.cli.{name}").register(subparsers)
    for leaf in _leaf_parsers(parser):
        if leaf is not parser:  # also accepted after the command; SUPPRESS keeps the top-level value
            # A command that passes unknown options on (``score``: Beam's) takes them; the others refuse them.
            leaf.runs_command = not leaf.get_default("unknown_options")
            leaf.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
            leaf.set_defaults(options=option_table(leaf))
    return parser


def _named_command(argv):
    """The command ``argv`` names (its first word), when it is one of :data:`COMMANDS`."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return word if word in COMMANDS else None


def main(argv=None) -> int:
    from upconv_tf.cli.quiet import quiet_stderr

    argv = sys.argv[1:] if argv is None else list(argv)
    # Only the named command's options are built: some commands' choices come from modules that import
    # scikit-learn, which an install for scoring alone does not have (and needs not wait for).
    command = _named_command(argv)
    parser = build_parser(None if command is None else [command])
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # a command that passes options on (``score``: Beam's) names where they go
        if not getattr(args, "unknown_options", None):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        setattr(args, args.unknown_options, unknown)
    with quiet_stderr(enabled=not args.verbose):
        try:
            check_json_target(args)
            return args.run(args) or 0
        except NoUsableImages as error:
            report_errors(error.skipped)
            message = describe(error, args.options)
            print(f"upconv-tf {args.command}: error: {no_usable_image(message, error.skipped)}", file=sys.stderr)
            return EXIT_USAGE
        except (CommandError, ValueError, OSError) as error:
            print(f"upconv-tf {args.command}: error: {describe(error, args.options)}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print(f"upconv-tf {args.command}: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
