"""The preprocessing half of the ONNX contract, without TensorFlow: an image (encoded bytes, an open file, a
path or an array) and an exported detector's ``metadata.json`` -> the exact input tensor its ``model.onnx``
takes.

It decodes with :func:`upconv_tf.datasets.decode.decode_image` and crops with
:func:`upconv_tf.datasets.decode.fit_to_size`, the decoder and size policy ``upconv-tf detect`` and the Beam
scoring pipeline use: RGB, float32 in [0, 1], the central ``S`` x ``S`` window at native resolution
(``preprocessing.policy`` ``center-crop``; no resampling, whose filter would change the spectrum the detector
reads). docs/deployment.md, "The ONNX contract", states the whole contract.

Example:

>>> import onnxruntime  # doctest: +SKIP
>>> batch = preprocess(open("photo.jpg", "rb").read(), "spectral-detector")  # doctest: +SKIP
>>> session = onnxruntime.InferenceSession("export/spectral-detector/3/model.onnx")  # doctest: +SKIP
>>> session.run(["probability"], {"images": batch})[0]  # doctest: +SKIP
array([0.31], dtype=float32)
"""

from __future__ import annotations

import os

import numpy as np

from upconv_tf import errors as E
from upconv_tf.datasets.decode import decode_image, fit_to_size
from upconv_tf.errors import ArgumentError, ImageLoadError
from upconv_tf.export.metadata import FILENAME, read_metadata, validate_metadata


def input_policy(metadata: dict) -> tuple:
    """``(size, policy)``: how images must be brought to a detector's square input (its metadata's
    ``preprocessing.policy``, ``center-crop`` when absent; a model that takes any size, ``none``, still gets
    its fixed input size by a centre crop)."""
    height, width = metadata["input"]["shape"][1:3]
    if height != width:
        raise ValueError(f"{metadata.get('name', 'model')}: takes {height} x {width} images; preprocessing "
                         "handles square sizes")
    policy = (metadata.get("preprocessing") or {}).get("policy", "center-crop")
    return int(height), "center-crop" if policy == "none" else policy


def detector_metadata(model) -> dict:
    """The validated detector metadata of ``model``: a metadata dict, a runner (``.metadata``), a
    ``metadata.json`` file, or any model path or bare name :func:`upconv_tf.resolve.resolve_model` finds
    (its ONNX export's metadata.json)."""
    if isinstance(model, dict):
        return validate_metadata(model, "metadata", "detector")
    if hasattr(model, "metadata"):
        return validate_metadata(model.metadata, getattr(model, "source", "model"), "detector")
    path = os.fspath(model)
    if os.path.basename(path) == FILENAME and os.path.isfile(path):
        return read_metadata(path, "detector")
    from upconv_tf.resolve import resolve_model

    ref = resolve_model(path, backend="onnx", what="detector")
    folder = os.path.dirname(ref.onnx) if ref.onnx else ref.path
    return read_metadata(os.path.join(folder, FILENAME), "detector")


def _from_array(image, name) -> np.ndarray:
    """An (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array -> (H, W, 3) float32 in [0, 1], as the decoder
    gives (8-bit / 255, 16-bit / 65535, alpha dropped)."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
        raise ArgumentError("image", f"must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). Received: "
                                     f"shape={array.shape}")
    array = array[..., :3] if array.shape[-1] != 1 else np.repeat(array, 3, axis=-1)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if array.dtype.kind != "f":
        raise ArgumentError("image", f"must be uint8, uint16 or float in [0, 1]. Received: dtype={array.dtype}")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ImageLoadError(name, E.BAD_PIXELS, "holds NaN or infinite pixel values")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise ArgumentError("image", f"float pixels must be in [0, 1]. Received: [{array.min()}, {array.max()}]")
    return array


def decode(image, name=None) -> np.ndarray:
    """One image in any accepted form (:func:`preprocess`) -> (H, W, 3) float32 RGB in [0, 1]."""
    from upconv_tf.datasets.folder import load_image

    if isinstance(image, (bytes, bytearray, memoryview)) or hasattr(image, "read"):
        return decode_image(image, name or "image")
    if isinstance(image, (str, os.PathLike)):
        return load_image(image)
    return _from_array(image, name or "image")


def preprocess(image, model, name=None) -> np.ndarray:
    """The input tensor of an exported detector for one image: (1, S, S, 3) float32 RGB in [0, 1].

    Args:
        image: encoded image bytes, a binary file object, a local file path, or an array: (H, W[, C]) uint8
            (0-255), uint16 (0-65535) or float in [0, 1], C in 1, 3, 4 (alpha dropped).
        model: the detector's metadata (a dict, a runner such as ``OnnxDetector``, a ``metadata.json`` path) or
            the model itself (an export folder, a ``model.onnx``, a bare name such as ``spectral-detector``).
        name: the image's name in errors (default: its path, else ``image``).

    Returns:
        (1, S, S, 3) float32: feed it to the ONNX model's input (``metadata["input"]["name"]``, ``images``).

    Raises:
        ImageLoadError: the image cannot be used; its ``skipped`` record has the code ``upconv-tf detect``
            gives the same file (``unreadable``, ``too-small``...).
    """
    metadata = detector_metadata(model)
    size, policy = input_policy(metadata)
    if name is None and isinstance(image, (str, os.PathLike)):
        name = os.fspath(image)
    name = name or "image"
    return np.ascontiguousarray(fit_to_size(decode(image, name), size, policy, name)[None])
