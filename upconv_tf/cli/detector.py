"""``upconv-tf detector train|evaluate``: fit the spectral detector on folders, or evaluate it honestly
(:func:`upconv_tf.folders.train_detector`, :func:`upconv_tf.folders.evaluate_detector_on_folders`)."""

from __future__ import annotations

from upconv_tf.cli.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    CommandError,
    add_json_option,
    group_by_option,
    mode_choices,
    no_usable_image,
    normalize_choices,
    normalize_value,
    option_names,
    policy_choices,
    positive_int,
    progress_factory,
    report_errors,
    text_stream,
    write_json_output,
)
from upconv_tf.cli.export import add_export_arguments

OPTIONS = ("real", "fake", "out", "overwrite", "policy", "num_bins", "test_size", "size")


def register(subparsers):
    from upconv_tf.options import CLASSIFIERS

    parser = subparsers.add_parser(
        "detector", help="train or evaluate the spectral detector (real vs generated images)",
        description="Spectral detector of Durall et al. (CVPR 2020, s. 4.1): azimuthal integral -> "
                    "StandardScaler -> SVM / logistic regression / k-means.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    train = actions.add_parser("train", help="fit a detector on a real and a generated folder and save it",
                               description="Fit a detector and write it (JSON + .npz, no pickle) to --out.")
    _add_data_arguments(train)
    train.add_argument("--classifier", choices=CLASSIFIERS, default="svm")
    train.add_argument("--out", help="detector folder to write (read by `upconv-tf detect --model`), with the "
                                     "exported saved_model/, model.onnx and metadata.json; without --out only the "
                                     "export is written, to saved_models/NAME/VERSION and export/NAME/VERSION")
    train.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    train.add_argument("--balance", action="store_true",
                       help="subsample the larger class at random (--seed) to the size of the smaller one")
    train.add_argument("--no-export", action="store_true", help="write only the detector folder (needs --out)")
    add_export_arguments(train)
    train.set_defaults(run=run_train)

    evaluate = actions.add_parser(
        "evaluate", help="accuracy and ROC-AUC over grouped, balanced random splits",
        description="Evaluate SVM / LR / k-means: splits grouped by source (a source never on both sides), "
                    "balanced training and test sets, mean ± std of accuracy and ROC-AUC over --runs splits.",
    )
    _add_data_arguments(evaluate)
    evaluate.add_argument("--samples", default="20,100,1000",
                          help="comma-separated training-set sizes; 'max' = all the split allows (default 20,100,1000)")
    evaluate.add_argument("--runs", type=positive_int, default=5, help="random splits (default 5)")
    evaluate.add_argument("--classifiers", default=",".join(CLASSIFIERS),
                          help=f"comma-separated (default all: {','.join(CLASSIFIERS)})")
    group_by_option(evaluate, "the source of each image")
    evaluate.add_argument("--test-size", type=float, default=0.25, help="fraction of sources held out (default 0.25)")
    add_json_option(evaluate, "the full results (per-run values)")
    evaluate.set_defaults(run=run_evaluate)


def _add_data_arguments(parser):
    parser.add_argument("--real", nargs="+", required=True, metavar="DIR", help="folders (or files) of real images")
    parser.add_argument("--fake", nargs="+", required=True, metavar="DIR",
                        help="folders (or files) of generated images")
    parser.add_argument("--size", type=positive_int, default=128,
                        help="images are brought to SIZE x SIZE px (default 128; see --policy)")
    parser.add_argument("--policy", choices=policy_choices(), default="center-crop",
                        help="center-crop at native resolution (default; smaller images are skipped), resize, "
                             "or none (native sizes, profiles resampled to --num-bins)")
    parser.add_argument("--mode", choices=mode_choices(), default="reference")
    parser.add_argument("--normalize", choices=normalize_choices(), default="minmax")
    parser.add_argument("--num-bins", type=positive_int, help="resample profiles to this length (needed with "
                                                              "--policy none)")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--seed", type=int, default=0)


def _data_options(args):
    return dict(size=args.size, policy=args.policy, mode=args.mode, normalize=normalize_value(args.normalize),
                num_bins=args.num_bins, batch_size=args.batch_size, progress=progress_factory())


def _failure(error):
    """The one-line CommandError of a library failure (skipped files are reported first)."""
    from upconv_tf.folders import NoUsableImages

    if isinstance(error, NoUsableImages):
        report_errors(error.skipped)
        return CommandError(no_usable_image(option_names(str(error), OPTIONS), error.skipped))
    return CommandError(option_names(str(error), OPTIONS))


def run_train(args):
    from upconv_tf.folders import train_detector

    if args.out is None and args.no_export:
        raise CommandError("--no-export needs --out (otherwise nothing would be written)")
    try:
        trained = train_detector(args.real, args.fake, classifier=args.classifier, balance=args.balance,
                                 seed=args.seed, out=args.out, overwrite=args.overwrite, export=not args.no_export,
                                 name=args.name, root=args.root, **_data_options(args))
    except ValueError as error:
        raise _failure(error) from None
    report_errors(trained.skipped)
    detector = trained.detector
    if trained.out is None:
        print(f"wrote SavedModel {trained.export.saved_model} and ONNX {trained.export.onnx}")
    print(f"trained {args.classifier} on {trained.real} real + {trained.generated} generated images "
          f"({detector.num_bins_} bins, mode={args.mode}); training accuracy {100 * trained.accuracy:.1f} %")
    if args.classifier == "kmeans":
        print(f"k-means: cluster {detector.fake_cluster_} is 'generated' (power-law departure "
              f"{detector.cluster_departure_.round(3).tolist()})")
    if trained.out:
        print(f"wrote {args.out}" + ("" if args.no_export else " (detector, saved_model/, model.onnx)")
              + (f"; {len(trained.skipped)} file(s) skipped" if trained.skipped else ""))
    return EXIT_PARTIAL if trained.skipped else EXIT_OK


def _parse_list(text, option, allowed=None):
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise CommandError(f"{option} is empty")
    if allowed is not None:
        bad = [item for item in items if item not in allowed]
        if bad:
            raise CommandError(f"{option}: unknown {bad}; choose from {', '.join(allowed)}")
    return items


def _parse_samples(text):
    samples = []
    for item in _parse_list(text, "--samples"):
        if item == "max":
            samples.append(item)
            continue
        try:
            value = int(item)
        except ValueError:
            raise CommandError(f"--samples: {item!r} is not an integer or 'max'") from None
        if value < 2:
            raise CommandError(f"--samples: training sizes must be >= 2, got {value}")
        samples.append(value)
    return samples


def run_evaluate(args):
    from upconv_tf.detection import format_table
    from upconv_tf.folders import evaluate_detector_on_folders
    from upconv_tf.options import CLASSIFIERS

    samples = _parse_samples(args.samples)
    classifiers = _parse_list(args.classifiers, "--classifiers", CLASSIFIERS)
    try:
        evaluation = evaluate_detector_on_folders(
            args.real, args.fake, samples=samples, runs=args.runs, classifiers=classifiers, group_by=args.group_by,
            test_size=args.test_size, seed=args.seed, **_data_options(args))
    except ValueError as error:
        raise _failure(error) from None
    skipped = [(s["path"], s["reason"]) for s in evaluation["skipped"]]
    report_errors(skipped)
    print(format_table(evaluation), file=text_stream(args))
    write_json_output(evaluation, args)
    return EXIT_PARTIAL if skipped else EXIT_OK
