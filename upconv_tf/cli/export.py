"""``upconv-tf export MODEL``: a trained detector, generator or auto-encoder to SavedModel + ONNX with
metadata.json (:func:`upconv_tf.export.export_path`). Name and kind follow the model."""

from __future__ import annotations

import sys

from upconv_tf.cli.common import EXIT_OK, positive_int


def register(subparsers):
    parser = subparsers.add_parser(
        "export", help="export a trained detector, generator or auto-encoder to SavedModel and ONNX",
        description="MODEL is a detector folder (`upconv-tf detector train --out`), an `upconv-tf train` folder "
                    "or a .keras file (generator, SpectralGAN or auto-encoder). With --out DIR: DIR/saved_model/, "
                    "DIR/model.onnx and DIR/metadata.json. Without: saved_models/NAME/VERSION/ and "
                    "export/NAME/VERSION/model.onnx under --root (next version); NAME and the metadata's kind "
                    "follow the model. Writes are atomic.",
    )
    parser.add_argument("path", metavar="MODEL", help="detector folder, train folder or .keras file")
    add_export_arguments(parser)
    parser.add_argument("--out", help="bundle folder to write (default: the repository layout under --root)")
    parser.add_argument("--version", type=positive_int, help="version number (default: the next one)")
    parser.add_argument("--size", type=positive_int,
                        help="detectors: image side of the exported model (default: the training size)")
    parser.add_argument("--triton", metavar="DIR",
                        help="also add the ONNX model to the Triton model repository DIR (DIR/NAME/config.pbtxt, "
                             "DIR/NAME/VERSION/model.onnx)")
    parser.set_defaults(run=run)


def add_export_arguments(parser):
    """Options shared by ``export`` and ``detector train``."""
    parser.add_argument("--name", help="model name in the repository layout (default: the model's kind, "
                                       "'spectral-detector', 'generator' or 'autoencoder')")
    parser.add_argument("--root", default=None,
                        help="repository root for saved_models/ and export/ (default: $UPCONV_TF_HOME, else the "
                             "current folder when it holds saved_models/ or export/; elsewhere --root or --out is "
                             "needed)")


def export_root(args):
    """The ``--root`` to write the repository layout under: the option, else
    :func:`upconv_tf.export.layout.default_root` (None with ``--out``: a bundle folder needs no root)."""
    from upconv_tf.export.layout import default_root

    if getattr(args, "out", None) is not None or args.root is not None:
        return args.root or "."
    return default_root()


def print_result(result, stream=None):
    import os

    for label, path in (("SavedModel", result.saved_model), ("ONNX", result.onnx)):
        if path:
            print(f"wrote {label}: {os.path.abspath(path)}", file=stream or sys.stdout)


def run(args):
    from upconv_tf.export import export_path

    root = export_root(args)
    result = export_path(args.path, args.out, name=args.name, version=args.version, root=root, size=args.size)
    print_result(result)
    if args.triton:
        from upconv_tf.export.triton import write_triton_repository

        triton = write_triton_repository(result.onnx, args.triton, name=result.metadata["name"])
        print(f"wrote Triton: {triton.config}, {triton.model}")
    data = result.metadata
    print(f"metadata: {data['kind']} {data['name']} {data['input']['name']} {data['input']['shape']} -> "
          f"{data['output']['name']} {data['output']['shape']}", file=sys.stderr)
    return EXIT_OK
