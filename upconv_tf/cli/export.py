"""``upconv-tf export MODEL``: a trained detector or generator to SavedModel + ONNX with metadata.json.

Also holds :func:`export_trained_detector`, which ``upconv-tf detector train`` calls.
"""

from __future__ import annotations

import os
import sys

from upconv_tf.cli.common import EXIT_OK, CommandError, positive_int

DETECTOR_NAME = "spectral-detector"
GENERATOR_NAME = "generator"


def register(subparsers):
    parser = subparsers.add_parser(
        "export", help="export a trained detector or generator to SavedModel and ONNX (with metadata.json)",
        description="MODEL is a detector folder (`upconv-tf detector train --out`), a generator (`upconv-tf "
                    "train` folder or .keras file) or an auto-encoder .keras file. With --out DIR: DIR/saved_model/, "
                    "DIR/model.onnx and DIR/metadata.json. Without: saved_models/NAME/VERSION/ and "
                    "export/NAME/VERSION/model.onnx under --root (next version). Writes are atomic.",
    )
    parser.add_argument("model", metavar="MODEL", help="detector folder, generator folder or .keras file")
    add_export_arguments(parser)
    parser.add_argument("--out", help="bundle folder to write (default: the repository layout under --root)")
    parser.add_argument("--version", type=positive_int, help="version number (default: the next one)")
    parser.add_argument("--size", type=positive_int,
                        help="detectors: image side of the exported model (default: the training size)")
    parser.add_argument("--triton", metavar="DIR",
                        help="also add the ONNX model to the Triton model repository DIR (DIR/NAME/config.pbtxt, "
                             "DIR/NAME/VERSION/model.onnx)")
    parser.set_defaults(run=run)


def add_export_arguments(parser, default_name=None):
    """Options shared by ``export`` and ``detector train``."""
    parser.add_argument("--name", default=default_name,
                        help=f"model name in the repository layout (default {DETECTOR_NAME!r} for detectors, "
                             f"{GENERATOR_NAME!r} for generators)")
    parser.add_argument("--root", default=".", help="repository root for saved_models/ and export/ (default .)")


def _print_result(result):
    for label, path in (("SavedModel", result.saved_model), ("ONNX", result.onnx)):
        if path:
            print(f"wrote {label}: {path}")


def export_trained_detector(detector, training: dict, metrics: dict, size: int, policy: str, out_dir=None,
                            name=None, root=".", version=None):
    """Export a detector with its training summary; returns the :class:`~upconv_tf.export.ExportResult`."""
    from upconv_tf.export import export_detector

    if policy == "none":
        policy = "center-crop"  # the exported graph has a fixed size
    metadata = {"training_data": training, "metrics": metrics,
                "preprocessing": {"size": size, "policy": policy, "color": "RGB"}}
    return export_detector(detector, out_dir, image_size=size, name=name or DETECTOR_NAME, version=version,
                           metadata=metadata, root=root)


def _export_detector_folder(args):
    from upconv_tf.detection import load_detector, read_detector_info

    info = read_detector_info(args.model)
    detector = load_detector(args.model)
    saved = info["metadata"]
    size = args.size or saved.get("input", {}).get("size")
    if size is None:
        raise CommandError(f"{args.model}: the detector was trained on native sizes; give --size for the export")
    training = dict(saved.get("training", {}))
    metrics = {key: training.pop(key) for key in list(training) if key.endswith("accuracy")}
    return export_trained_detector(detector, training, metrics, size, saved.get("input", {}).get("policy", "center-crop"),
                                   args.out, args.name, args.root, args.version)


def _load_generator(path):
    import keras

    import upconv_tf.models  # noqa: F401  (registers the custom classes for safe_mode loading)
    from upconv_tf.models import load_generator

    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "autoencoder.keras")):
        path = os.path.join(path, "autoencoder.keras")
    if os.path.isfile(path) and path.endswith(".keras"):
        try:
            model = keras.saving.load_model(path, compile=False, safe_mode=True)
        except Exception as error:  # damaged zip/h5 content raises many types
            raise CommandError(f"{path}: not a readable .keras model ({type(error).__name__})") from None
        if type(model).__name__ == "SpectralAutoencoder":
            return model
    return load_generator(path)


def run(args):
    from upconv_tf.detection.persistence import JSON_NAME
    from upconv_tf.export import export_generator

    if not os.path.exists(args.model):
        raise CommandError(f"{args.model}: no such file or folder")
    if args.out is not None and args.version is not None:
        raise CommandError("--version applies to the repository layout; it cannot be combined with --out")
    if os.path.isdir(args.model) and os.path.isfile(os.path.join(args.model, JSON_NAME)):
        result = _export_detector_folder(args)
    else:
        if args.size is not None:
            raise CommandError("--size applies to detectors; a generator's size is fixed by the model")
        model = _load_generator(args.model)
        result = export_generator(model, args.out, name=args.name or GENERATOR_NAME, version=args.version,
                                  root=args.root, metadata={"source": os.path.abspath(args.model)})
    _print_result(result)
    if args.triton:
        from upconv_tf.export.triton import write_triton_repository

        triton = write_triton_repository(result.onnx, args.triton, name=result.metadata["name"])
        print(f"wrote Triton: {triton.config}, {triton.model}")
    print(f"metadata: {result.metadata['kind']} {result.metadata['input']['name']} "
          f"{result.metadata['input']['shape']} -> {result.metadata['output']['name']} "
          f"{result.metadata['output']['shape']}", file=sys.stderr)
    return EXIT_OK
