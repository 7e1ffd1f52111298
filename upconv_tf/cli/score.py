"""``upconv-tf score --input GLOB --model URI --output PREFIX [Beam options]``: score image files with an exported
detector on Apache Beam (:func:`upconv_tf.scoring.score`), locally or on Dataflow, Flink or Spark."""

from __future__ import annotations

import logging
import sys

from upconv_tf.cli.common import (
    CommandError,
    add_json_option,
    exit_status,
    non_negative_int,
    positive_int,
    progress_factory,
    report_errors,
    skipped_summary,
    write_json_output,
)
from upconv_tf.errors import ArgumentError, from_records

EPILOG = ("Any other --name=value option is Apache Beam's (e.g. --runner=DataflowRunner --project=P --region=R "
          "--temp_location=gs://B/tmp --sdk_container_image=IMAGE; --direct_running_mode=multi_processing "
          "--direct_num_workers=2). With no --runner the job runs here on FnApiRunner. Outputs: "
          "PREFIX-scores-SSSSS-of-NNNNN.jsonl ({path, probability, generated, model, version} a line) and "
          "PREFIX-skipped-SSSSS-of-NNNNN.jsonl ({path, code, reason}). See docs/deployment.md.")


def register(subparsers):
    parser = subparsers.add_parser(
        "score", help="score image files on Apache Beam (here, or on Dataflow / Flink / Spark)",
        description="Score every image file matching GLOB with an exported detector (ONNX) on Apache Beam's "
                    "RunInference, writing JSON lines. Needs no TensorFlow: workers need the `score` install.",
        epilog=EPILOG,
    )
    parser.add_argument("--input", dest="inputs", action="extend", nargs="+", required=True, metavar="GLOB",
                        help="files to score: globs ('photos/*.jpg', 'gs://B/uploads/**': quoted, so that Beam "
                             "matches them on the workers' file system), folders (their image files) or files; "
                             "local or any file system Beam reads")
    parser.add_argument("--model", required=True,
                        help="an exported detector: its folder (model.onnx + metadata.json) or model.onnx, local "
                             "or a URI (gs://...), or a model name (spectral-detector)")
    parser.add_argument("--output", required=True, metavar="PREFIX",
                        help="prefix of the output files, local or a URI (earlier shards of it are replaced)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="images per onnxruntime call")
    parser.add_argument("--threads", type=non_negative_int, default=None,
                        help="onnxruntime threads per model (default: all cores for one local process, shared "
                             "out among local worker processes, 1 on a distributed runner)")
    add_json_option(parser, "the run's summary (counts, output files, skipped files)")
    parser.set_defaults(run=run, unknown_options="beam_args")


class _BeamImportNotice(logging.Filter):
    """Apache Beam without [gcp] logs "apitools not found" on the root logger whenever it is imported."""

    def filter(self, record):
        return not record.getMessage().startswith("apitools not found")


def _quiet() -> None:
    """Beam's log lines off (``--verbose`` shows them); its local worker processes' lines are dropped from
    stderr by :mod:`upconv_tf.cli.quiet`."""
    root = logging.getLogger()
    if not any(isinstance(item, _BeamImportNotice) for item in root.filters):
        root.addFilter(_BeamImportNotice())
    logging.getLogger("apache_beam").setLevel(logging.ERROR)


def run(args):
    if not getattr(args, "verbose", False):
        _quiet()  # before Beam is imported
    from upconv_tf.scoring import PipelineFailed, score

    beam_args = list(getattr(args, "beam_args", []))
    try:
        summary = score(args.inputs, args.model, args.output, beam_args=beam_args, batch_size=args.batch_size,
                        threads=args.threads, progress=progress_factory())
    except ArgumentError as error:
        if error.argument == "beam_args":
            raise CommandError(error.detail) from None
        raise
    except PipelineFailed as error:
        raise CommandError(f"{error} (--verbose shows Beam's log)") from None
    skipped = from_records(summary["skipped"])
    report_errors(skipped)
    write_json_output(summary, args)
    model = f"{summary['model']} version {summary['version']}" if summary["version"] is not None else summary["model"]
    print(f"{summary['scored']} image(s) scored with {model} (threshold {summary['threshold']:.4g}) on "
          f"{summary['runner']} in {summary['seconds']:.1f} s, {summary['generated']} labelled generated"
          + skipped_summary(skipped), file=sys.stderr)
    for kind, files in summary["outputs"].items():
        if files and (kind == "scores" or skipped):
            print(f"wrote {', '.join(files[:3])}{f' (+{len(files) - 3} more)' if len(files) > 3 else ''}",
                  file=sys.stderr)
    return exit_status(skipped)
