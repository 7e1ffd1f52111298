"""``upconv-tf detect PATH... --model DIR``: score images with a trained spectral detector
(:func:`upconv_tf.workflows.detect.detect`)."""

from __future__ import annotations

import sys

from upconv_tf.cli.common import (
    CommandError,
    add_json_option,
    exit_status,
    policy_choices,
    positive_int,
    progress_factory,
    report_errors,
    skipped_summary,
    write_json_output,
)
from upconv_tf.errors import from_records


def register(subparsers):
    parser = subparsers.add_parser(
        "detect", help="score images: probability that each one is generated",
        description="Score every image under PATH (folders are walked recursively) with a detector written by "
                    "`upconv-tf detector train --out` or exported. Score in [0, 1], higher = generated.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image files or folders")
    parser.add_argument("--model", required=True, help="detector folder written by `upconv-tf detector train`, "
                                                        "its saved_model/ or model.onnx, or any exported detector "
                                                        "(saved_models/NAME[/VERSION], export/NAME/VERSION)")
    add_json_option(parser, "the scores and skipped files")
    parser.add_argument("--threshold", type=float, default=None,
                        help="label 'generated' when score >= this (default: the model's own threshold, calibrated "
                             "for its target false-positive rate; 0.5 for models trained without one)")
    parser.add_argument("--size", type=positive_int,
                        help="override the input size a detector folder was trained with (an exported model's "
                             "size is fixed)")
    parser.add_argument("--policy", choices=policy_choices(),
                        help="override the size policy the detector was trained with")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.set_defaults(run=run)


def run(args):
    from upconv_tf.runtime import load_predictor
    from upconv_tf.workflows.detect import describe_region, detect, partial_reads

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise CommandError(f"--threshold must be in [0, 1], got {args.threshold}")
    predictor = load_predictor(args.model)
    if hasattr(predictor, "provider"):
        print(f"model: {type(predictor).__name__} on {predictor.provider}", file=sys.stderr)
    result = detect(args.paths, (predictor, args.model), size=args.size, policy=args.policy,
                    threshold=args.threshold, batch_size=args.batch_size, progress=progress_factory())
    records = result["results"]
    skipped = from_records(result["skipped"])
    report_errors(skipped)
    if args.json_path:
        write_json_output(result, args)
    else:
        for record in records:
            region = describe_region(record)
            print(f"{record['score']:.4f}  {record['label']:<9}  {record['path']}" + (f"  ({region})" if region else ""))
    note = partial_reads(records)
    if note:
        print(f"note: {note}", file=sys.stderr)
    generated = sum(r["label"] == "generated" for r in records)
    print(f"{len(records)} image(s) scored, {generated} labelled generated{skipped_summary(skipped)}", file=sys.stderr)
    return exit_status(skipped)
