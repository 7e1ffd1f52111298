"""``upconv-tf detect PATH... --model DIR``: score images with a trained spectral detector."""

from __future__ import annotations

import json
import os
import sys

from upconv_tf.cli.common import EXIT_OK, EXIT_PARTIAL, CommandError, positive_int, progress, report_errors, write_json


def register(subparsers):
    parser = subparsers.add_parser(
        "detect", help="score images: probability that each one is generated",
        description="Score every image under PATH (folders are walked recursively) with a detector written by "
                    "`upconv-tf detector train --out`. Score in [0, 1], higher = generated.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    parser.add_argument("--model", required=True, help="detector folder written by `upconv-tf detector train`, "
                                                        "its saved_model/ or model.onnx, or any exported detector")
    parser.add_argument("--json", dest="json_path", nargs="?", const="-", metavar="FILE",
                        help="JSON output: to FILE, or to stdout when FILE is omitted")
    parser.add_argument("--threshold", type=float, default=0.5, help="label 'generated' when score >= this (0.5)")
    parser.add_argument("--size", type=positive_int, help="override the input size the detector was trained with")
    parser.add_argument("--policy", choices=("center-crop", "resize", "none"),
                        help="override the size policy the detector was trained with")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.set_defaults(run=run)


def load_predictor(path):
    """The object ``detect`` scores with, and its input settings ``{"size", "policy"}`` from the model.

    A detector folder (``detector.json``) gives a :class:`~upconv_tf.detection.SpectralDetector`; an exported
    model (an ``.onnx`` file, a SavedModel folder, ``saved_models/<name>[/<version>]``...) gives a runner of
    :func:`upconv_tf.inference.load_predictor`, with the size from its metadata.json.
    """
    from upconv_tf.detection import load_detector, read_detector_info
    from upconv_tf.detection.persistence import JSON_NAME

    if not os.path.exists(path):
        raise CommandError(f"--model {path}: no such file or folder")
    if not os.path.isfile(os.path.join(path, JSON_NAME)):
        from upconv_tf.inference import load_predictor as load_exported

        predictor = load_exported(path)
        print(f"model: {type(predictor).__name__} on {predictor.provider}", file=sys.stderr)
        return predictor, predictor.input_settings()
    info = read_detector_info(path)
    settings = info["metadata"].get("input", {})
    return load_detector(path), {"size": settings.get("size"), "policy": settings.get("policy", "center-crop")}


def run(args):
    from upconv_tf.datasets import list_images
    from upconv_tf.detection import detect_files

    if not 0.0 <= args.threshold <= 1.0:
        raise CommandError(f"--threshold must be in [0, 1], got {args.threshold}")
    predictor, settings = load_predictor(args.model)
    size = args.size or settings["size"]
    policy = args.policy or settings["policy"] or "center-crop"
    if size is None and policy != "none":
        policy = "none"
    errors, paths = [], []
    for root in args.paths:
        if not os.path.exists(root) and not os.path.islink(root):
            errors.append((root, "no such file or folder"))
            continue
        paths.extend(list_images(root, errors=errors))
    bar = progress(None, total=len(paths), desc="detect")
    records = detect_files(paths, predictor, size, policy, args.batch_size, args.threshold, errors, bar)
    bar.close()
    report_errors(errors)
    if args.json_path:
        result = {"model": os.path.abspath(args.model), "threshold": args.threshold, "size": size, "policy": policy,
                  "results": records, "skipped": [{"path": p, "reason": r} for p, r in errors]}
        if args.json_path == "-":
            json.dump(result, sys.stdout, indent=1)
            print()
        else:
            write_json(result, args.json_path)
            print(f"wrote {args.json_path}", file=sys.stderr)
    else:
        for record in records:
            print(f"{record['score']:.4f}  {record['label']:<9}  {record['path']}")
    if not records and not errors:
        raise CommandError("no image found under " + ", ".join(args.paths))
    generated = sum(r["label"] == "generated" for r in records)
    print(f"{len(records)} image(s) scored, {generated} labelled generated"
          + (f", {len(errors)} skipped" if errors else ""), file=sys.stderr)
    return EXIT_PARTIAL if errors else EXIT_OK
