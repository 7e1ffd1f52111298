"""``upconv-tf detector train|evaluate``: fit the spectral detector on folders with a preset, or evaluate it
honestly (:mod:`upconv_tf.workflows.detector`: :func:`train_detector`, :func:`evaluate_detector`)."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from upconv_tf.cli.common import (
    CommandError,
    add_json_option,
    describe,
    exit_status,
    fitting_size,
    group_by_option,
    mode_choices,
    no_usable_image,
    non_negative_int,
    normalize_choices,
    normalize_value,
    policy_choices,
    positive_int,
    progress_factory,
    report_errors,
    size_hint,
    skipped_summary,
    text_stream,
    write_json_output,
)
from upconv_tf.cli.export import add_export_arguments, export_root
from upconv_tf.errors import from_records

PROTOCOLS = ("samples", "splits", "cross-family", "cross-source", "cross-both")


def register(subparsers):
    from upconv_tf.options import CLASSIFIERS

    parser = subparsers.add_parser(
        "detector", help="train or evaluate the spectral detector (real vs generated images)",
        description="Spectral detector: spectral features -> (StandardScaler) -> SVM / logistic regression / "
                    "k-means, trained with a preset (default: robust features, augmentation and a threshold "
                    "calibrated on real images; paper: Durall et al., CVPR 2020, s. 4.1).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    train = actions.add_parser("train", help="fit a detector on a real and a generated folder and save it",
                               description="Fit a detector and write it (JSON + .npz, no pickle) to --out.")
    _add_data_arguments(train)
    _add_recipe_arguments(train)
    train.add_argument("--out", help="detector folder to write (read by `upconv-tf detect --model`), with the "
                                     "exported saved_model/, model.onnx and metadata.json; without --out only the "
                                     "export is written, to saved_models/NAME/VERSION and export/NAME/VERSION")
    train.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    train.add_argument("--balance", action="store_true",
                       help="subsample the larger class at random (--seed) to the size of the smaller one")
    train.add_argument("--no-export", action="store_true", help="write only the detector folder (needs --out)")
    group_by_option(train, "what is never split (out-of-fold scores for the threshold)")
    _add_sources_argument(train)
    train.add_argument("--refiner", metavar="RUN",
                       help="also train on every generated image refined by this spectrum refiner (an `upconv-tf "
                            "refine train` folder or an exported refiner): a detector that holds up against STIG")
    add_export_arguments(train)
    train.set_defaults(run=run_train)

    evaluate = actions.add_parser(
        "evaluate", help="ROC-AUC and accuracy of a trained detector (--model), or of the recipe over grouped splits, "
                         "per re-encoding or across families",
        description="With --model: score that trained or exported detector on the labelled folders (ROC-AUC, "
                    "balanced accuracy at its own threshold, TPR/FPR there), the files as they are and re-encoded by "
                    "each --treatments. Without: evaluate the recipe with splits grouped by source (a source never "
                    "on both sides). --protocol samples "
                    "(default): the paper's tables, accuracy and ROC-AUC of SVM / LR / k-means against the "
                    "training-set size, threshold 0.5, no augmentation. --protocol splits: the preset as deployed "
                    "(augmentation, its own threshold) on grouped random splits, test images re-encoded by each "
                    "--treatments. --protocol cross-family: train on all generator families but one, test on it "
                    "(families: first-level folders under --fake, or --families). --protocol cross-source: train "
                    "on all real sources but one (and every generated image), report the false-positive rate at "
                    "the model's threshold on it, per source (sources: first-level folders under --real, or the "
                    "--real folders themselves, or --sources). --protocol cross-both: leave one family and a fold "
                    "of real sources out together.",
    )
    _add_data_arguments(evaluate)
    _add_recipe_arguments(evaluate)
    evaluate.add_argument("--model", help="a trained or exported detector to score (a detector folder, "
                                          "saved_models/NAME[/VERSION], export/NAME/VERSION, a .onnx file or a bare "
                                          "name such as spectral-detector); no detector is trained")
    evaluate.add_argument("--threshold", type=float, default=None,
                          help="with --model: label 'generated' from this score (default: the model's own threshold)")
    evaluate.add_argument("--protocol", choices=PROTOCOLS, default=None, help="see above (default samples)")
    evaluate.add_argument("--samples", default="20,100,1000",
                          help="samples protocol: comma-separated training-set sizes; 'max' = all the split allows "
                               "(default 20,100,1000)")
    evaluate.add_argument("--runs", type=positive_int, default=5, help="random splits (default 5)")
    evaluate.add_argument("--classifiers", default=",".join(CLASSIFIERS),
                          help=f"samples protocol: comma-separated (default all: {','.join(CLASSIFIERS)})")
    evaluate.add_argument("--treatments", default=None,
                          help="--model, splits / cross-family: comma-separated test treatments: none, "
                               "jpegQ[-444|-420], webpQ (default none,jpeg90,jpeg75,webp80)")
    evaluate.add_argument("--families", metavar="FILE",
                          help="cross-family: JSON {file name or first-level folder: family} to rename or merge "
                               "families")
    evaluate.add_argument("--refiner", metavar="RUN",
                          help="splits / cross-family: one more treatment, 'refined': the generated test images "
                               "refined by this spectrum refiner (an `upconv-tf refine train` folder or an export)")
    evaluate.add_argument("--refined-training", action="store_true",
                          help="with --refiner: also train each split's detector on the refined generated images")
    group_by_option(evaluate, "what is never split")
    _add_sources_argument(evaluate)
    evaluate.add_argument("--test-size", type=float, default=0.25, help="fraction of sources held out (default 0.25)")
    add_json_option(evaluate, "the full results (per-run values)")
    evaluate.set_defaults(run=run_evaluate)


def _add_sources_argument(parser):
    parser.add_argument("--sources", metavar="FILE",
                        help="JSON {file name or first-level folder under --real: source} to rename or merge real "
                             "sources (default: each first-level folder under a --real folder, or the folder "
                             "itself, is a source); with 2 or more, the threshold is set for a source never seen, "
                             "every source weighing alike")


def _add_data_arguments(parser):
    parser.add_argument("--real", nargs="+", required=True, metavar="DIR", help="folders (or files) of real images")
    parser.add_argument("--fake", nargs="+", required=True, metavar="DIR",
                        help="folders (or files) of generated images")
    parser.add_argument("--size", type=_size,
                        help="images are brought to SIZE x SIZE px (see --policy); auto (default): the preset's size "
                             "(192, paper 128) unless a class's images are mostly smaller, then the side 95 %% of "
                             "them hold (multiple of 8, at least what the features take)")
    parser.add_argument("--policy", choices=policy_choices(),
                        help="center-crop at native resolution (presets; smaller images are skipped), resize, "
                             "or none (native sizes, profiles resampled to --num-bins)")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--seed", type=int, default=0)


def _size(text):
    return text if text == "auto" else positive_int(text)


def _fpr(text):
    if text == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1) or 'none', got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1) or 'none', got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {value}")
    return value


def _gamma(text):
    if text in ("scale", "auto"):
        return text
    try:
        return _positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 'scale', 'auto' or a number > 0, got {text!r}") from None


def _add_recipe_arguments(parser):
    """The preset and the options that override one of its settings (left out: the preset's value)."""
    from upconv_tf.detection.features import FEATURE_KINDS
    from upconv_tf.detection.presets import PRESETS
    from upconv_tf.options import CLASSIFIERS

    parser.add_argument("--preset", choices=tuple(PRESETS), default="default",
                        help="default: robust recipe (features of a 192 px crop, scaler + SVM C=1, augmentation, "
                             "threshold for --target-fpr); paper: the published detector (reference spectrum, "
                             "SVM C=6.37 gamma=0.86, no scaler, no augmentation, 128 px); hybrid: default with the "
                             "pooled features of a frozen ImageNet EfficientNet-Lite0 beside the spectral ones "
                             "(slower). Options below override single settings")
    parser.add_argument("--classifier", choices=CLASSIFIERS)
    parser.add_argument("--features", dest="feature_kind", choices=tuple(FEATURE_KINDS), help="feature kind")
    parser.add_argument("--mode", choices=mode_choices(), help="azimuthal-integral definition")
    parser.add_argument("--normalize", choices=normalize_choices(), help="per-profile normalisation")
    parser.add_argument("--num-bins", type=positive_int, help="resample profiles to this length (needed with "
                                                              "--policy none)")
    parser.add_argument("--C", dest="C", type=_positive_float, help="SVM regularisation")
    parser.add_argument("--gamma", type=_gamma, help="SVM RBF width: 'scale', 'auto' or a number")
    parser.add_argument("--scaler", action=argparse.BooleanOptionalAction, default=None,
                        help="standardise the features before the classifier")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="train on crops and JPEG/WebP/resized twins of every image, both classes alike")
    parser.add_argument("--target-fpr", type=_fpr, default=argparse.SUPPRESS,
                        help="calibrate the threshold on real training images for this false-positive rate "
                             "(default preset: 0.05; 'none': threshold 0.5)")
    parser.add_argument("--labelled", type=non_negative_int,
                        help="k-means: name the clusters from this many labelled images per class, the others "
                             "used without labels (default: every label)")


def _settings(args) -> dict:
    """The preset overrides the user gave."""
    settings = {name: getattr(args, name) for name in ("classifier", "feature_kind", "mode", "num_bins", "C", "gamma",
                                                       "scaler", "augment", "size", "policy")
                if getattr(args, name, None) is not None}
    if args.normalize is not None:
        settings["normalize"] = normalize_value(args.normalize)
    if hasattr(args, "target_fpr"):
        settings["target_fpr"] = args.target_fpr
    return settings


def _failure(error, args):
    """The one-line CommandError of a library failure (skipped files are reported first); when every image was
    smaller than the crop and the size that would fit is below what the recipe's features take (the default
    rings-cells-colour features need 24 px; the azimuthal integral takes smaller images), the fallback too."""
    from upconv_tf.detection import hybrid, rings_cells_colour
    from upconv_tf.detection.presets import PRESETS
    from upconv_tf.errors import NoUsableImages

    message = describe(error, args.options)
    if not isinstance(error, NoUsableImages):
        return CommandError(message)
    report_errors(error.skipped)
    message = no_usable_image(message, error.skipped)
    hint = error.smallest_crop_that_fits()
    kind = args.feature_kind or PRESETS[args.preset].feature_kind
    needs = rings_cells_colour.min_side()
    if hint and kind in (rings_cells_colour.KIND, hybrid.KIND) and fitting_size(hint[1]) < needs:
        message += f" with --features azimuthal (the {kind} features need {needs} px or more)"
    return CommandError(message)


def _report_skipped(skipped):
    report_errors(skipped)
    hint = size_hint(skipped)
    if hint:
        print(hint, file=sys.stderr)


def _sources(args):
    from upconv_tf.workflows.features import read_source_map

    return read_source_map(args.sources) if args.sources else None


def run_train(args):
    from upconv_tf.workflows.detector import train_detector

    if args.out is None and args.no_export:
        raise CommandError("--no-export needs --out (otherwise nothing would be written)")
    root = export_root(args) if args.out is None else (args.root or ".")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            trained = train_detector(args.real, args.fake, preset=args.preset, group_by=args.group_by,
                                     sources=_sources(args), labelled=args.labelled, balance=args.balance,
                                     seed=args.seed, out=args.out, overwrite=args.overwrite,
                                     export=not args.no_export, name=args.name, root=root,
                                     progress=progress_factory(), refiner=args.refiner, **_settings(args))
        except ValueError as error:
            raise _failure(error, args) from None
    _report_skipped(trained.skipped)
    for warning in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)):
        print(f"warning: {warning}", file=sys.stderr)
    detector, recipe = trained.detector, trained.metadata["preset"]
    if trained.out is None:
        print(f"wrote SavedModel {os.path.abspath(trained.export.saved_model)} and ONNX "
              f"{os.path.abspath(trained.export.onnx)}")
    rows = trained.metadata["training"]["rows"]
    print(f"trained {detector.classifier} (preset {recipe['name']}: {detector.feature_kind} features, "
          f"{recipe['size']} px {recipe['policy']}, {detector.num_bins_} features) on {trained.real} real + "
          f"{trained.generated} generated images ({rows} rows{' with augmentation' if recipe['augment'] else ''}); "
          f"training accuracy {100 * trained.accuracy:.1f} %")
    calibration = trained.metadata["threshold"]
    if calibration.get("fpr") is not None:
        tpr = calibration.get("tpr")
        if calibration.get("weighting") == "source":
            rate = (f"a real source's false-positive rate out of fold: {100 * calibration['source_fpr']:.1f} % on "
                    f"average over {calibration['real_sources']} sources (worst "
                    f"{100 * calibration['worst_source_fpr']:.1f} %; {calibration['real']} images)")
        else:
            rate = (f"{100 * calibration['fpr']:.1f} % of {calibration['real']} real images "
                    f"({calibration['real_sources']} sources) above it out of fold")
        print(f"threshold {calibration['threshold']:.4f}: {rate} (target {100 * calibration['target_fpr']:.1f} %)"
              + ("" if tpr is None else f"; TPR there {100 * tpr:.1f} %"))
    if detector.classifier == "kmeans":
        print(f"k-means: cluster {detector.fake_cluster_} is 'generated' (named by {detector.fake_cluster_rule_}"
              + (f", agreement {detector.cluster_agreement_:.2f}" if detector.cluster_agreement_ is not None else
                 f", power-law departure {detector.cluster_departure_.round(3).tolist()}") + ")")
    if trained.out:
        print(f"wrote {args.out}" + ("" if args.no_export else " (detector, saved_model/, model.onnx)")
              + skipped_summary(trained.skipped).replace(", ", "; ", 1))
    return exit_status(trained.skipped)


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


def _parse_treatments(text):
    from upconv_tf.datasets.augment import parse_treatment

    if text is None:
        return None
    treatments = _parse_list(text, "--treatments")
    for treatment in treatments:
        try:
            parse_treatment(treatment)
        except ValueError as error:
            raise CommandError(f"--treatments: {error}".replace("`treatment`", "each treatment")) from None
    return treatments


# Options of `detector evaluate` that train a detector: they do not apply with --model (name: its default).
TRAINING_OPTIONS = {"preset": "default", "protocol": None, "samples": "20,100,1000", "runs": 5, "families": None,
                    "test_size": 0.25, "labelled": None, "seed": 0}


def _evaluate_model(args):
    """``detector evaluate --model``: score a trained or exported detector (no training)."""
    from upconv_tf.workflows.detector import evaluate_detector, format_model_table

    recipe = {name: value for name, value in _settings(args).items() if name not in ("size", "policy")}
    given = [name for name, default in TRAINING_OPTIONS.items() if getattr(args, name) != default]
    if args.classifiers != ",".join(_classifier_names()):
        given.append("classifiers")
    if args.group_by != "auto":
        given.append("group_by")
    if recipe or given:
        options = ", ".join(args.options.get(name) or name for name in sorted(set(recipe) | set(given)))
        raise CommandError(f"{options}: set(s) how a detector is trained; --model scores a trained one (leave "
                           "them out, or leave out --model to evaluate the recipe)")
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise CommandError(f"--threshold must be in [0, 1], got {args.threshold}")
    try:
        evaluation = evaluate_detector(args.real, args.fake, model=args.model,
                                       treatments=_parse_treatments(args.treatments), threshold=args.threshold,
                                       size=args.size, policy=args.policy, batch_size=args.batch_size,
                                       progress=progress_factory())
    except ValueError as error:
        raise _failure(error, args) from None
    return evaluation, format_model_table(evaluation)


def _classifier_names():
    from upconv_tf.options import CLASSIFIERS

    return CLASSIFIERS


def run_evaluate(args):
    from upconv_tf.detection import format_table, format_treatment_table
    from upconv_tf.options import CLASSIFIERS
    from upconv_tf.workflows.detector import evaluate_detector_on_folders, evaluate_preset_on_folders
    from upconv_tf.workflows.features import read_family_map

    if args.model is not None:
        evaluation, table = _evaluate_model(args)
        return _print_evaluation(evaluation, table, args)
    if args.threshold is not None:
        raise CommandError("--threshold applies to --model (a trained detector's labels); the recipe calibrates "
                           "its own (--target-fpr)")
    args.protocol = args.protocol or "samples"
    settings = _settings(args)
    try:
        if args.protocol == "samples":
            if args.refiner or args.refined_training:
                raise CommandError("--refiner and --refined-training apply to --protocol splits / cross-family")
            samples = _parse_samples(args.samples)
            classifiers = _parse_list(args.classifiers, "--classifiers", CLASSIFIERS)
            settings.pop("target_fpr", None)
            settings.pop("augment", None)
            evaluation = evaluate_detector_on_folders(
                args.real, args.fake, samples=samples, runs=args.runs, classifiers=classifiers,
                group_by=args.group_by, test_size=args.test_size, preset=args.preset, seed=args.seed,
                batch_size=args.batch_size, progress=progress_factory(), **settings)
            table = format_table(evaluation)
        else:
            treatments = _parse_treatments(args.treatments)
            families = read_family_map(args.families) if args.families else None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # per-fold threshold warnings: the table says more
                evaluation = evaluate_preset_on_folders(
                    args.real, args.fake, protocol=args.protocol, treatments=treatments, runs=args.runs,
                    test_size=args.test_size, group_by=args.group_by, families=families, sources=_sources(args),
                    labelled=args.labelled, preset=args.preset, seed=args.seed, progress=progress_factory(),
                    refiner=args.refiner, refined_training=args.refined_training, **settings)
            table = format_treatment_table(evaluation)
    except ValueError as error:
        raise _failure(error, args) from None
    return _print_evaluation(evaluation, table, args)


def _print_evaluation(evaluation, table, args):
    skipped = from_records(evaluation["skipped"])
    _report_skipped(skipped)
    print(table, file=text_stream(args))
    write_json_output(evaluation, args)
    return exit_status(skipped)
