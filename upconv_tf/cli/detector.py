"""``upconv-tf detector train|evaluate``: fit the spectral detector on folders, or evaluate it honestly."""

from __future__ import annotations

import os

from upconv_tf.cli.common import EXIT_OK, EXIT_PARTIAL, CommandError, positive_int, progress, report_errors, write_json
from upconv_tf.cli.export import add_export_arguments, export_trained_detector


def register(subparsers):
    parser = subparsers.add_parser(
        "detector", help="train or evaluate the spectral detector (real vs generated images)",
        description="Spectral detector of Durall et al. (CVPR 2020, s. 4.1): azimuthal integral -> "
                    "StandardScaler -> SVM / logistic regression / k-means.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    train = actions.add_parser("train", help="fit a detector on a real and a generated folder and save it",
                               description="Fit a detector and write it (JSON + .npz, no pickle) to --out.")
    _add_data_arguments(train)
    train.add_argument("--classifier", choices=("svm", "logreg", "kmeans"), default="svm")
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
    evaluate.add_argument("--classifiers", default="svm,logreg,kmeans", help="comma-separated (default all three)")
    evaluate.add_argument("--group-by", choices=("file", "prefix", "folder"), default="file",
                          help="source of each image: the file itself (default), the file-name prefix before the "
                               "last '_' (crops NAME_0001.png of photo NAME; shared by the real and fake folders), "
                               "or the parent folder")
    evaluate.add_argument("--test-size", type=float, default=0.25, help="fraction of sources held out (default 0.25)")
    evaluate.add_argument("--json", dest="json_path", help="write the full results (per-run values) as JSON")
    evaluate.set_defaults(run=run_evaluate)


def _add_data_arguments(parser):
    parser.add_argument("--real", nargs="+", required=True, metavar="DIR", help="folders (or files) of real images")
    parser.add_argument("--fake", nargs="+", required=True, metavar="DIR",
                        help="folders (or files) of generated images")
    parser.add_argument("--size", type=positive_int, default=128,
                        help="images are brought to SIZE x SIZE px (default 128; see --policy)")
    parser.add_argument("--policy", choices=("center-crop", "resize", "none"), default="center-crop",
                        help="center-crop at native resolution (default; smaller images are skipped), resize, "
                             "or none (native sizes, profiles resampled to --num-bins)")
    parser.add_argument("--mode", choices=("centered", "reference"), default="reference")
    parser.add_argument("--normalize", choices=("none", "minmax", "first"), default="minmax")
    parser.add_argument("--num-bins", type=positive_int, help="resample profiles to this length (needed with "
                                                              "--policy none)")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--seed", type=int, default=0)


def _detector_params(args):
    normalize = None if args.normalize == "none" else args.normalize
    if args.policy == "none" and args.num_bins is None:
        raise CommandError("--policy none keeps native image sizes: give --num-bins (e.g. 80) so that every "
                           "profile has the same length")
    if args.num_bins is not None and args.num_bins < 2:
        raise CommandError(f"--num-bins must be >= 2, got {args.num_bins}")
    return {"mode": args.mode, "normalize": normalize, "num_bins": args.num_bins}


def _load_features(args, params):
    """Features of --real and --fake, streamed in batches; returns (real, fake, real paths, fake paths, errors)."""
    from upconv_tf import spectral
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import SpectralFeatures, file_features

    if args.policy != "none":
        spectral.check_size(args.size, args.size, args.mode)
    extractor = SpectralFeatures(**params)
    errors, out = [], []
    for option, roots in (("--real", args.real), ("--fake", args.fake)):
        for root in roots:
            if not os.path.exists(root):
                raise CommandError(f"{option} {root}: no such file or folder")
        paths = list_images(*roots, errors=errors)
        bar = progress(None, total=len(paths), desc=option[2:])
        features, used = file_features(extractor, paths, args.size, args.policy, args.batch_size, errors, bar)
        bar.close()
        if not used:
            report_errors(errors)
            raise CommandError(f"{option}: no usable image in {', '.join(roots)}")
        out.append((features, used))
    return out[0][0], out[1][0], out[0][1], out[1][1], errors


def run_train(args):
    import numpy as np

    from upconv_tf.detection import SpectralDetector, save_detector

    params = _detector_params(args)
    if args.out is None and args.no_export:
        raise CommandError("--no-export needs --out (otherwise nothing would be written)")
    out = os.path.abspath(args.out) if args.out else None
    if out and os.path.isdir(out) and os.listdir(out) and not args.overwrite:
        raise CommandError(f"--out {args.out} exists and is not empty (pass --overwrite to replace it)")
    real, fake, real_paths, fake_paths, errors = _load_features(args, params)
    report_errors(errors)
    if args.balance:
        from upconv_tf.detection import balanced_sample

        labels = np.r_[np.zeros(len(real), np.int64), np.ones(len(fake), np.int64)]
        keep = balanced_sample(np.arange(len(labels)), labels, None, np.random.default_rng(args.seed))
        real_keep, fake_keep = keep[keep < len(real)], keep[keep >= len(real)] - len(real)
        real, fake = real[real_keep], fake[fake_keep]
        real_paths = [real_paths[i] for i in real_keep]
        fake_paths = [fake_paths[i] for i in fake_keep]
    X = np.concatenate([real, fake])
    y = np.r_[np.zeros(len(real), np.int64), np.ones(len(fake), np.int64)]
    detector = SpectralDetector(args.classifier, random_state=args.seed, **params)
    detector.fit(X, None if args.classifier == "kmeans" else y)
    accuracy = detector.score(X, y)
    metadata = {
        "input": {"size": None if args.policy == "none" else args.size, "policy": args.policy,
                  "value_range": [0.0, 1.0], "color": "RGB"},
        "training": {"real": len(real_paths), "generated": len(fake_paths), "skipped": len(errors),
                     "skipped_files": [{"path": p, "reason": r} for p, r in errors],
                     "balanced": args.balance,
                     "real_roots": [os.path.abspath(r) for r in args.real],
                     "fake_roots": [os.path.abspath(r) for r in args.fake], "training_accuracy": accuracy},
        "labels": {"0": "real", "1": "generated"},
    }
    def export(folder):
        training = {k: v for k, v in metadata["training"].items() if k not in ("training_accuracy", "skipped_files")}
        result = export_trained_detector(detector, training, {"training_accuracy": accuracy}, args.size, args.policy,
                                         folder, args.name, args.root)
        if folder is None:
            print(f"wrote SavedModel {result.saved_model} and ONNX {result.onnx}")

    if out:
        save_detector(detector, out, metadata=metadata, overwrite=args.overwrite,
                      extra=None if args.no_export else export)
    else:
        export(None)
    print(f"trained {args.classifier} on {len(real_paths)} real + {len(fake_paths)} generated images "
          f"({detector.num_bins_} bins, mode={args.mode}); training accuracy {100 * accuracy:.1f} %")
    if args.classifier == "kmeans":
        print(f"k-means: cluster {detector.fake_cluster_} is 'generated' (power-law departure "
              f"{detector.cluster_departure_.round(3).tolist()})")
    if out:
        print(f"wrote {args.out}" + ("" if args.no_export else " (detector, saved_model/, model.onnx)")
              + (f"; {len(errors)} file(s) skipped" if errors else ""))
    return EXIT_PARTIAL if errors else EXIT_OK


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
    from upconv_tf.detection import CLASSIFIERS, evaluate_detector, format_table, group_ids

    params = _detector_params(args)
    samples = _parse_samples(args.samples)
    classifiers = _parse_list(args.classifiers, "--classifiers", CLASSIFIERS)
    if not 0 < args.test_size < 1:
        raise CommandError(f"--test-size must be between 0 and 1, got {args.test_size}")
    real, fake, real_paths, fake_paths, errors = _load_features(args, params)
    report_errors(errors)
    evaluation = evaluate_detector(real, fake, group_ids(real_paths, args.group_by),
                                   group_ids(fake_paths, args.group_by), samples=samples, runs=args.runs,
                                   classifiers=classifiers, test_size=args.test_size, seed=args.seed, **params)
    evaluation["protocol"].update({"group_by": args.group_by, "size": args.size, "policy": args.policy,
                                   "real_roots": args.real, "fake_roots": args.fake,
                                   "skipped": [{"path": p, "reason": r} for p, r in errors]})
    print(format_table(evaluation))
    if args.json_path:
        write_json(evaluation, args.json_path)
        print(f"wrote {args.json_path}")
    return EXIT_PARTIAL if errors else EXIT_OK
