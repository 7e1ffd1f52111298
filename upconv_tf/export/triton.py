"""An exported ONNX model as a Triton Inference Server model repository entry.

Layout (Triton's, beside TF Serving's ``saved_models/<name>/<version>/``)::

    <repository>/<name>/config.pbtxt
    <repository>/<name>/<version>/model.onnx, metadata.json

``config.pbtxt`` comes from the model's metadata.json: the onnxruntime backend, ``max_batch_size``, the input
and output names, data types and per-item shapes (the batch axis left to Triton; a per-item scalar such as the
detector's probability is ``dims: [ 1 ]`` reshaped to ``[ ]``), and dynamic batching. All versions of one
Triton model share its config, so a new version whose inputs or outputs differ from the config already there
is refused. Writes are atomic: a failed write leaves the repository as it was, and versions are never
overwritten.

Example:

>>> write_triton_repository("export/spectral-detector/1", "triton_models")  # doctest: +SKIP
TritonResult(config='triton_models/spectral-detector/config.pbtxt', model='triton_models/spectral-detector/1/model.onnx', ...)
"""

from __future__ import annotations

import dataclasses
import os
import shutil

import numpy as np

from upconv_tf import _atomic
from upconv_tf.errors import ArgumentError
from upconv_tf.export import layout
from upconv_tf.export.metadata import FILENAME, read_metadata

CONFIG = "config.pbtxt"
BACKEND = "onnxruntime"
# Triton's DataType names for the dtypes metadata.json can hold.
DATA_TYPES = {"float32": "TYPE_FP32", "float16": "TYPE_FP16", "float64": "TYPE_FP64", "int32": "TYPE_INT32",
              "int64": "TYPE_INT64", "uint8": "TYPE_UINT8", "bool": "TYPE_BOOL"}
MAX_QUEUE_DELAY_US = 100


@dataclasses.dataclass
class TritonResult:
    """What :func:`write_triton_repository` wrote."""

    config: str
    model: str
    name: str
    version: int
    text: str


def _tensor(spec, source) -> dict:
    shape = spec.get("shape") or []
    if not shape or shape[0] is not None:
        raise ValueError(f"{source}: `{spec.get('name')}` has no batch axis (shape {shape}); Triton's dynamic "
                         f"batching needs one")
    dtype = spec.get("dtype")
    if dtype not in DATA_TYPES:
        raise ValueError(f"{source}: `{spec.get('name')}` has dtype {dtype!r}, which has no Triton type here")
    dims = [-1 if d is None else int(d) for d in shape[1:]]
    return {"name": spec["name"], "data_type": DATA_TYPES[dtype], "dims": dims}


def _tensor_text(tensor) -> str:
    dims = tensor["dims"]
    lines = [f'    name: "{tensor["name"]}"', f"    data_type: {tensor['data_type']}"]
    if dims:
        lines.append(f"    dims: [ {', '.join(str(d) for d in dims)} ]")
    else:  # a scalar per batch item: Triton needs one dim, the model's shape has none
        lines += ["    dims: [ 1 ]", "    reshape: { shape: [ ] }"]
    return "  {\n" + "\n".join(lines) + "\n  }"


def config_text(metadata: dict, name: str, max_batch_size: int, preferred_batch_sizes=(),
                max_queue_delay_us: int = MAX_QUEUE_DELAY_US, source="metadata.json") -> str:
    """The ``config.pbtxt`` text (protobuf text format of Triton's ``ModelConfig``) for one model."""
    if isinstance(max_batch_size, bool) or not isinstance(max_batch_size, (int, np.integer)) or max_batch_size < 1:
        raise ArgumentError("max_batch_size", f"must be an integer >= 1. Received: max_batch_size={max_batch_size!r}")
    preferred = [int(size) for size in preferred_batch_sizes]
    if any(not 1 <= size <= max_batch_size for size in preferred):
        raise ArgumentError("preferred_batch_sizes", f"must lie in 1..max_batch_size ({max_batch_size}). "
                                                     f"Received: {preferred}")
    if isinstance(max_queue_delay_us, bool) or not isinstance(max_queue_delay_us, (int, np.integer)) \
            or max_queue_delay_us < 0:
        raise ArgumentError("max_queue_delay_us", f"must be an integer >= 0. Received: {max_queue_delay_us!r}")
    inputs, outputs = _tensor(metadata["input"], source), _tensor(metadata["output"], source)
    batching = [f"  max_queue_delay_microseconds: {int(max_queue_delay_us)}"]
    if preferred:
        batching.insert(0, f"  preferred_batch_size: [ {', '.join(str(size) for size in preferred)} ]")
    return "\n".join([
        f"# Triton model configuration written by upconv-tf from {os.path.basename(source)}: "
        f"{metadata.get('kind', 'model')} {metadata.get('name', name)!r}.",
        f'name: "{name}"',
        f'backend: "{BACKEND}"',
        f"max_batch_size: {int(max_batch_size)}",
        f"input [\n{_tensor_text(inputs)}\n]",
        f"output [\n{_tensor_text(outputs)}\n]",
        "dynamic_batching {\n" + "\n".join(batching) + "\n}",
        "",
    ])


def _io_lines(text: str) -> list:
    """The lines of a config that describe inputs and outputs (what all versions must agree on)."""
    keep, depth, inside = [], 0, False
    for line in text.splitlines():
        stripped = line.strip()
        if depth == 0 and (stripped.startswith("input [") or stripped.startswith("output [")):
            inside = True
        if inside:
            keep.append(stripped)
            depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
            if depth == 0:
                inside = False
    return keep


def _onnx_source(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, layout.ONNX_FILE)
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such ONNX file (give an exported model.onnx or the folder that holds it)")
    metadata_path = os.path.join(os.path.dirname(path), FILENAME)
    if not os.path.isfile(metadata_path):
        raise ValueError(f"{metadata_path}: no metadata.json beside the ONNX model (export it with upconv-tf)")
    return path, metadata_path


def write_triton_repository(onnx_model, repository, *, name=None, version=None, max_batch_size=None,
                            preferred_batch_sizes=(), max_queue_delay_us: int = MAX_QUEUE_DELAY_US) -> TritonResult:
    """Write an exported ONNX model (with its metadata.json) into a Triton model repository.

    Args:
        onnx_model: the exported ``model.onnx`` or the folder that holds it (``export/<name>/<version>/`` or
            an ``--out`` bundle).
        repository: the Triton model repository folder (created if missing).
        name: Triton model name; default the metadata's ``name``.
        version: version folder; default the metadata's ``version``, or the next free one.
        max_batch_size: largest batch Triton forms; default about 1 M pixels per batch for image inputs (64 at
            128 px, 16 at 256 px, 1 at 1024 px), 64 for latent vectors.
        preferred_batch_sizes: optional preferred sizes for the dynamic batcher (Triton's default: none).
        max_queue_delay_us: how long the dynamic batcher waits to fill a batch.

    Returns:
        :class:`TritonResult` with the paths written and the config text.
    """
    path, metadata_path = _onnx_source(onnx_model)
    metadata = read_metadata(metadata_path)
    name = layout.check_name(name or metadata.get("name") or "model")
    shape = metadata["input"]["shape"]
    if max_batch_size is None:
        pixels = int(np.prod([d for d in shape[1:3] if d])) if len(shape) == 4 else 0
        max_batch_size = int(min(64, max(1, (1 << 20) // pixels))) if pixels else 64
    text = config_text(metadata, name, max_batch_size, preferred_batch_sizes, max_queue_delay_us, metadata_path)
    model_folder = os.path.join(os.fspath(repository), name)
    config_path = os.path.join(model_folder, CONFIG)
    if os.path.isfile(config_path):
        with open(config_path) as handle:
            existing = handle.read()
        if _io_lines(existing) != _io_lines(text):
            raise ValueError(f"{config_path}: the model's inputs or outputs differ from the ones this config "
                             f"declares; all versions of a Triton model share one config (pick another `name`)")
    taken = layout.versions(model_folder)
    if version is None:  # the exported version when it is free, else the next one
        wanted = metadata.get("version")
        version = wanted if isinstance(wanted, int) and wanted >= 1 and wanted not in taken else max(taken, default=0) + 1
    elif isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 1:
        raise ArgumentError("version", f"must be an integer >= 1. Received: version={version!r}")
    version = int(version)
    version_folder = os.path.join(model_folder, str(version))
    if os.path.exists(version_folder):
        raise ValueError(f"{version_folder} already exists: versions are never overwritten")
    with _atomic.Staging() as staging:
        folder = staging.folder(version_folder)
        shutil.copyfile(path, os.path.join(folder, layout.ONNX_FILE))
        shutil.copyfile(metadata_path, os.path.join(folder, FILENAME))
        with open(staging.file(config_path), "w") as handle:
            handle.write(text)
        staging.commit()
    return TritonResult(config_path, os.path.join(version_folder, layout.ONNX_FILE), name, version, text)
