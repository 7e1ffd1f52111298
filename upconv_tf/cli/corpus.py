"""``upconv-tf corpus build``: the Debian photo corpus for benchmarks (SPEC s. 5)."""

from __future__ import annotations

from upconv_tf.cli.common import EXIT_OK, EXIT_PARTIAL


def register(subparsers):
    parser = subparsers.add_parser("corpus", help="build the offline benchmark photo corpus")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="apt-get download + dpkg -x the photo packages into a cache")
    build.add_argument("--cache", default="~/.cache/upconv-tf/corpus", help="cache folder")
    build.add_argument("--packages", nargs="*", help="subset of packages (default: all)")
    build.add_argument("--update", action="store_true", help="run apt-get update first (root)")
    build.set_defaults(run=run_build)


def run_build(args):
    import os

    from upconv_tf.datasets import build_corpus

    cache = os.path.expanduser(args.cache)
    manifest = build_corpus(cache, args.packages, update=args.update)
    print(f"{len(manifest['files'])} images listed in {os.path.join(cache, 'manifest.json')}")
    return EXIT_PARTIAL if manifest["failed"] else EXIT_OK
