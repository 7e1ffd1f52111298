"""``upconv-tf spectrum DIR [DIR ...]``: mean and spread of the azimuthal integral of each folder."""

from __future__ import annotations

import os

from upconv_tf.cli.common import EXIT_OK, EXIT_PARTIAL, CommandError, positive_int, progress, report_errors, write_json


def register(subparsers):
    parser = subparsers.add_parser(
        "spectrum", help="mean 1-D power spectrum of image folders, as a plot and JSON",
        description="Mean and standard deviation of the azimuthal integral of each folder (recursive).",
    )
    parser.add_argument("folders", nargs="+", metavar="DIR", help="image folders (or files)")
    parser.add_argument("--size", type=positive_int, default=128, help="crop side in px (default 128)")
    parser.add_argument("--policy", choices=("center-crop", "resize"), default="center-crop",
                        help="how images are brought to --size (default: centre crop at native resolution)")
    parser.add_argument("--mode", choices=("centered", "reference"), default="centered")
    parser.add_argument("--normalize", choices=("none", "minmax", "first"), default="none")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--out", help="PNG plot path")
    parser.add_argument("--json", dest="json_path", help="JSON statistics path")
    parser.set_defaults(run=run)


def folder_statistics(folder, size, policy, mode, normalize, batch_size):
    """Mean/std profile of one folder, with its skipped files."""
    from upconv_tf import spectral
    from upconv_tf.datasets import iter_batches, list_images

    errors = []
    paths = list_images(folder, errors=errors)
    accumulator = spectral.SpectrumAccumulator()
    bar = progress(None, total=len(paths), desc=os.path.basename(os.path.normpath(folder)))
    for images, names in iter_batches(paths, size, batch_size, policy, errors):
        accumulator.update(spectral.azimuthal_integral(images, mode=mode, normalize=normalize))
        bar.update(len(names))
    bar.close()
    result = {"path": folder, "count": accumulator.count, "errors": [{"path": p, "reason": r} for p, r in errors]}
    if accumulator.count:
        result.update({"mean": accumulator.mean.tolist(), "std": accumulator.std.tolist()})
    return result, errors


def run(args):
    from upconv_tf import spectral

    normalize = None if args.normalize == "none" else args.normalize
    spectral.check_size(args.size, args.size, args.mode)
    results, failed = [], False
    for folder in args.folders:
        if not os.path.exists(folder):
            raise CommandError(f"{folder}: no such file or folder")
        result, errors = folder_statistics(folder, args.size, args.policy, args.mode, normalize, args.batch_size)
        report_errors(errors)
        failed |= bool(errors)
        results.append(result)
        summary = f"{folder}: {result['count']} images"
        if result["count"]:
            summary += f", mean of the last 25% of bins {_tail_mean(result['mean']):.2f}"
        print(summary + (f", {len(errors)} skipped" if errors else ""))
    stats = {"size": args.size, "mode": args.mode, "normalize": normalize, "policy": args.policy,
             "bins": spectral.num_bins(args.size, args.size, args.mode), "folders": results}
    if args.json_path:  # written even when nothing was usable: it names every skipped file
        write_json(stats, args.json_path)
        print(f"wrote {args.json_path}")
    if not any(r["count"] for r in results):
        raise CommandError("no usable image in the given folders")
    if args.out:
        from upconv_tf.plotting import plot_spectra

        curves = {f"{r['path']} (n={r['count']})": (r["mean"], r["std"]) for r in results if r["count"]}
        ylabel = "power (dB)" if args.mode == "centered" else "20 ln|F|"
        plot_spectra(curves, args.out, title=f"Azimuthal integral, {args.size} px, mode={args.mode}",
                     ylabel=ylabel + (f", {normalize}" if normalize else ""))
        print(f"wrote {args.out}")
    return EXIT_PARTIAL if failed else EXIT_OK


def _tail_mean(mean):
    tail = mean[int(len(mean) * 0.75):]
    return sum(tail) / len(tail)
