"""``metadata.json`` of an exported model: what it is, what it takes and returns, how it was made.

Written next to every SavedModel and ONNX file by :mod:`upconv_tf.export` and checked by
:mod:`upconv_tf.runtime` before a model is used. Keys:

* ``format`` (``"upconv-tf-export"``), ``format_version`` (1), ``kind`` (``"detector"``, ``"generator"``,
  ``"autoencoder"`` or ``"refiner"``),
  ``name``, ``version`` (int or null), ``package_version``, ``created`` (UTC, ISO 8601);
* ``input`` / ``output``: ``name``, ``shape`` (list, ``null`` for the batch), ``dtype``, ``range``
  ([low, high]) and ``description``;
* detectors: ``spectral`` (``feature_kind``, ``mode``, ``normalize``, ``num_bins`` (the number of features),
  ``native_bins``, ``reduction``, ``compute_dtype``) and
  ``classifier`` (``kind``, parameters, how the probability is made);
* generators and auto-encoders: ``model`` (class, name, config summary); refiners (images in [0, 1] in, refined images
  out): ``model`` and ``spectral`` (``magnitude_floor``; the ONNX graph's DFT under ``onnx.dft``);
* detectors: ``threshold`` (the probability from which the model's label is "generated": calibrated on real
  images for ``target_fpr`` when it was trained with one, else 0.5; a missing key means 0.5) and, when trained
  from a preset, ``preset`` (the recipe's settings);
* ``training_data`` and ``metrics`` (free-form dicts given by the caller), ``onnx`` (``opset``).
"""

from __future__ import annotations

import datetime
import json
import os

from upconv_tf.resolve import METADATA_FILE

FORMAT = "upconv-tf-export"
FORMAT_VERSION = 1
KINDS = ("detector", "generator", "autoencoder", "refiner")
# What a runner of each kind reads: the generator runners also run auto-encoders (images in, images out).
READABLE_AS = {"detector": ("detector",), "generator": ("generator", "autoencoder")}
FILENAME = METADATA_FILE


def base_metadata(kind: str, name: str, version, inputs: dict, outputs: dict, extra=None) -> dict:
    """The common part of every metadata.json (the caller adds ``training_data``, ``metrics``...)."""
    from upconv_tf import __version__

    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "name": name,
        "version": version,
        "package_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "input": inputs,
        "output": outputs,
        "training_data": {},
        "metrics": {},
    }
    data.update(extra or {})
    return data


def _fail(source, message):
    raise ValueError(f"{source}: {message}")


def _check_tensor(data, key, source):
    spec = data.get(key)
    if not isinstance(spec, dict):
        _fail(source, f"`{key}` must be an object with name, shape and dtype")
    if not isinstance(spec.get("name"), str) or not spec["name"]:
        _fail(source, f"`{key}.name` must be a non-empty string")
    shape = spec.get("shape")
    if (not isinstance(shape, list) or not shape
            or not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape)):
        _fail(source, f"`{key}.shape` must be a list of positive integers or null. Received: {shape!r}")
    if spec.get("dtype") != "float32":
        _fail(source, f"`{key}.dtype` must be 'float32'. Received: {spec.get('dtype')!r}")
    value_range = spec.get("range")
    if value_range is not None and (not isinstance(value_range, list) or len(value_range) != 2
                                    or not all(isinstance(v, (int, float)) for v in value_range)):
        _fail(source, f"`{key}.range` must be [low, high]. Received: {value_range!r}")


def validate_metadata(data, source="metadata.json", kind=None) -> dict:
    """Check an exported model's metadata; returns it, or raises ``ValueError`` naming ``source``."""
    if not isinstance(data, dict):
        _fail(source, "must hold a JSON object")
    if data.get("format") != FORMAT:
        _fail(source, f"`format` must be {FORMAT!r}. Received: {data.get('format')!r}")
    if data.get("format_version") != FORMAT_VERSION:
        _fail(source, f"unsupported `format_version` {data.get('format_version')!r} (this package reads "
                      f"{FORMAT_VERSION})")
    if data.get("kind") not in KINDS:
        _fail(source, f"`kind` must be one of {KINDS}. Received: {data.get('kind')!r}")
    if kind is not None and data["kind"] not in READABLE_AS.get(kind, (kind,)):
        _fail(source, f"is a {data['kind']}, not a {kind}")
    _check_tensor(data, "input", source)
    _check_tensor(data, "output", source)
    if data["kind"] == "detector":
        if len(data["input"]["shape"]) != 4 or None in data["input"]["shape"][1:]:
            _fail(source, f"a detector's `input.shape` must be [null, H, W, C]. "
                          f"Received: {data['input']['shape']!r}")
        spectral = data.get("spectral")
        if not isinstance(spectral, dict) or not {"mode", "normalize", "num_bins"} <= set(spectral):
            _fail(source, "`spectral` must hold mode, normalize and num_bins")
        if not isinstance(data.get("classifier"), dict) or "kind" not in data["classifier"]:
            _fail(source, "`classifier` must hold the classifier's kind")
        threshold = data.get("threshold", 0.5)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            _fail(source, f"`threshold` must be a number in [0, 1]. Received: {threshold!r}")
    return data


def read_metadata(path, kind=None, opener=None) -> dict:
    """Read and validate ``path`` (a metadata.json file); one-line ``ValueError`` when it is unusable.

    ``opener(path)`` returns a binary file to read it from (default: the local file system; the Beam scoring
    pipeline passes Beam's FileSystems, so a ``gs://`` export reads the same way)."""
    path = os.fspath(path)
    try:
        with (opener(path) if opener is not None else open(path, "rb")) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise ValueError(f"{path}: missing (every exported model has a metadata.json beside it)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not readable JSON ({error})") from None
    return validate_metadata(data, path, kind)
