"""The ``upconv-tf`` command. Each sub-command lives in its own module with a ``register`` function."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from upconv_tf.cli.common import EXIT_USAGE, CommandError

# Modules under upconv_tf.cli that add a sub-command.
COMMANDS = ["spectrum", "corpus", "demo", "audit", "detector", "detect", "export", "train", "generate"]


class ArgumentParser(argparse.ArgumentParser):
    """argparse exits with status 2 on a usage error; here 2 means "some files skipped", so use 1."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser():
    from upconv_tf import __version__

    parser = ArgumentParser(
        prog="upconv-tf",
        description="See, fix and detect what up-convolutions do to the spectrum of generated images.",
        epilog="Exit status: 0 success, 1 usage error or failure, 2 finished but some input files were skipped.",
    )
    parser.add_argument("--version", action="version", version=f"upconv-tf {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"upconv_tf.cli.{name}").register(subparsers)
    return parser


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except (CommandError, ValueError, OSError) as error:
        print(f"upconv-tf {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"upconv-tf {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
