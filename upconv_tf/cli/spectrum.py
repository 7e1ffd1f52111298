"""``upconv-tf spectrum DIR [DIR ...]``: mean and spread of the azimuthal integral of each folder
(:func:`upconv_tf.workflows.spectrum.spectrum_statistics`), as a plot and JSON."""

from __future__ import annotations

from upconv_tf.cli.common import (
    CommandError,
    add_json_option,
    exit_status,
    mode_choices,
    no_usable_image,
    normalize_choices,
    normalize_value,
    policy_choices,
    positive_int,
    progress_factory,
    report_errors,
    skipped_summary,
    text_stream,
    write_json_output,
)
from upconv_tf.errors import from_records


def register(subparsers):
    parser = subparsers.add_parser(
        "spectrum", help="mean 1-D power spectrum of image folders, as a plot and JSON",
        description="Mean and standard deviation of the azimuthal integral of each folder (recursive).",
    )
    parser.add_argument("folders", nargs="+", metavar="DIR", help="image folders (or files)")
    parser.add_argument("--size", type=positive_int, default=128, help="crop side in px (default 128)")
    parser.add_argument("--policy", choices=policy_choices(native=False), default="center-crop",
                        help="how images are brought to --size (default: centre crop at native resolution)")
    parser.add_argument("--mode", choices=mode_choices(), default="centered")
    parser.add_argument("--normalize", choices=normalize_choices(), default="none")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--out", help="PNG plot path")
    add_json_option(parser, "the statistics")
    parser.set_defaults(run=run)


def run(args):
    import os

    from upconv_tf.workflows.spectrum import plot_spectrum_statistics, spectrum_statistics

    for folder in args.folders:
        if not os.path.exists(folder):
            raise CommandError(f"{folder}: no such file or folder")
    normalize = normalize_value(args.normalize)
    stats = spectrum_statistics(args.folders, size=args.size, policy=args.policy, mode=args.mode,
                                normalize=normalize, batch_size=args.batch_size, progress=progress_factory())
    out = text_stream(args)
    skipped = []
    for result in stats["folders"]:
        errors = from_records(result["skipped"])
        report_errors(errors)
        skipped += errors
        summary = f"{result['path']}: {result['count']} images"
        if result["count"]:
            summary += f", mean of the last 25% of bins {_tail_mean(result['mean']):.2f}"
        print(summary + skipped_summary(errors), file=out)
    write_json_output(stats, args)  # written even when nothing was usable: it names every skipped file
    if not any(r["count"] for r in stats["folders"]):
        raise CommandError(no_usable_image("no usable image in the given folders", skipped))
    if args.out:
        plot_spectrum_statistics(stats, args.out)
        print(f"wrote {args.out}", file=out)
    return exit_status(skipped)


def _tail_mean(mean):
    tail = mean[int(len(mean) * 0.75):]
    return sum(tail) / len(tail)
