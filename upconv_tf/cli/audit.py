"""``upconv-tf audit``: how far a generator's spectrum is from real images, and how detectable it is.

The work is :func:`upconv_tf.workflows.audit.audit_generator`; this module parses the options and prints the report.
"""

from __future__ import annotations

from upconv_tf.cli.common import (
    add_json_option,
    exit_status,
    group_by_option,
    policy_choices,
    positive_int,
    report_errors,
    text_stream,
    write_json_output,
)
from upconv_tf.errors import from_records


def register(subparsers):
    from upconv_tf.options import CLASSIFIERS

    parser = subparsers.add_parser(
        "audit", help="spectral metrics and detectability of a generator against real images",
        description="Sample a generator, compare its spectrum with a folder of real images (spectral distance, "
                    "log frequency distance, high-frequency power-law decay) and train a spectral detector on "
                    "held-out splits to measure how detectable it is.",
    )
    parser.add_argument("--generator", required=True, metavar="MODEL",
                        help="generator: an `upconv-tf train gan` folder, a .keras or .onnx file, an exported "
                             "SavedModel folder or saved_models/NAME[/VERSION]")
    parser.add_argument("--real", required=True, metavar="DIR", help="folder of real images (recursive)")
    add_json_option(parser, "the report")
    parser.add_argument("--out", metavar="PNG", help="write the picture (spectra and metrics)")
    parser.add_argument("--samples", type=positive_int, default=None,
                        help="generated images (default: as many as real images, at most 1000)")
    parser.add_argument("--max-real", type=positive_int, default=1000, help="use at most this many real images")
    parser.add_argument("--policy", choices=policy_choices(native=False), default="center-crop",
                        help="how real images are brought to the generator's size (default: centre crop)")
    group_by_option(parser, "a real image's group for the held-out splits")
    parser.add_argument("--classifier", choices=CLASSIFIERS, default="logreg",
                        help="spectral detector classifier (default logreg)")
    parser.add_argument("--runs", type=positive_int, default=5, help="random held-out splits (default 5)")
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent samples and the splits")
    parser.set_defaults(run=run)


def run(args):
    from upconv_tf.workflows.audit import audit_generator, plot_report

    out = text_stream(args)
    report = audit_generator(args.generator, args.real, samples=args.samples, max_real=args.max_real,
                             policy=args.policy, group_by=args.group_by, classifier=args.classifier,
                             runs=args.runs, seed=args.seed, batch_size=args.batch_size)
    skipped = from_records(report["skipped"])
    report_errors(skipped)
    m, d = report["metrics"], report["detector"]
    print(f"generator {args.generator}: {report['size']} px, {report['counts']['generated']} samples vs "
          f"{report['counts']['real']} real images", file=out)
    print(f"  spectral distance (excess BCE, 0 = same mean spectrum): {m['spectral_distance']:.4f}", file=out)
    print(f"  spectral BCE loss (eq. 11, per image):                  {m['spectral_bce_loss']:.4f}", file=out)
    print(f"  log frequency distance (0 = same mean 2-D spectrum):   {m['log_frequency_distance']:.4f}", file=out)
    print(f"  high-frequency decay exponent: generated {m['decay_exponent_fake']:.3f}, "
          f"real {m['decay_exponent_real']:.3f} (gap {m['decay_exponent_gap']:+.3f})", file=out)
    print(f"  {d['classifier']} detector on held-out splits ({d['runs']} runs, {d['groups']} groups): "
          f"accuracy {100 * d['accuracy']:.1f} ± {100 * d['accuracy_std']:.1f} %, "
          f"ROC-AUC {d['roc_auc']:.3f} ± {d['roc_auc_std']:.3f} -> {d['verdict']}", file=out)
    if report["status"] != "trained":
        print(f"  untrained generator ({'; '.join(report['sanity']['reasons'])}): no spectral verdict", file=out)
    write_json_output(report, args)
    if args.out:
        plot_report(report, args.out)
        print(f"wrote {args.out}", file=out)
    return exit_status(skipped)
