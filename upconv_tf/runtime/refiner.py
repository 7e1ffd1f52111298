"""Spectrum refiners (STIG) with the runners' API: ``refine(images)``, images in [0, 1] in and out.

* :class:`OnnxRefiner`, :class:`SavedModelRefiner`: an export of :func:`upconv_tf.export.refiner.export_refiner`
  (one image size, fixed by the graph: :attr:`~_RefinerMixin.image_size`);
* :class:`KerasRefiner`: the ``refiner.keras`` of an ``upconv-tf refine train`` folder (any size whose sides are
  multiples of :attr:`~_RefinerMixin.size_multiple`);
* :func:`load_refiner`: any of them from a path or a name (:func:`upconv_tf.resolve.resolve_model`).

Importing this module imports neither TensorFlow nor onnxruntime.

Example:

>>> load_refiner("runs/refiner").refine(images).shape  # doctest: +SKIP
(8, 64, 64, 3)
"""

from __future__ import annotations

import os

import numpy as np

from upconv_tf.errors import ArgumentError
from upconv_tf.resolve import REFINER_FILE, resolve_model
from upconv_tf.runtime.base import _Runner
from upconv_tf.runtime.onnx import _Onnx
from upconv_tf.runtime.savedmodel import _SavedModel

BACKENDS = ("auto", "keras", "savedmodel", "onnx")


class _RefinerMixin:
    reads = "refiner"

    def refine(self, images, batch_size: int = 32) -> np.ndarray:
        """Refined images (N, H, W, C) in [0, 1] of images (N, H, W, C) in [0, 1]."""
        return self.run(images, batch_size)

    @property
    def image_size(self):
        """Side of the square images the model takes (None: any size whose sides are multiples of
        :attr:`size_multiple`)."""
        return self.metadata["input"]["shape"][1]

    @property
    def size_multiple(self) -> int:
        """Image sides must be multiples of this (``2 ** (depth - 1)`` of the generator)."""
        depth = self.metadata.get("model", {}).get("generator", {}).get("depth", 1)
        return 2 ** (int(depth) - 1)


class OnnxRefiner(_RefinerMixin, _Onnx):
    """An exported spectrum refiner on onnxruntime (CUDA when onnxruntime-gpu sees a GPU, see
    :class:`~upconv_tf.runtime.OnnxDetector`)."""


class SavedModelRefiner(_RefinerMixin, _SavedModel):
    """An exported spectrum refiner SavedModel through TensorFlow; same API as :class:`OnnxRefiner`."""


class KerasRefiner(_RefinerMixin, _Runner):
    """A saved :class:`~upconv_tf.models.refiner.SpectrumRefiner` with the runners' API; ``model`` is the Keras
    model. Takes any image size whose sides are multiples of :attr:`size_multiple` (at least 16 px)."""

    provider = "keras"

    def __init__(self, model, source="keras model"):
        self.model = model
        self.path = self.source = os.fspath(source)
        shape = [None, None, None, int(model.generator.channels)]
        self.metadata = {"kind": "refiner", "model": {"generator": {"depth": int(model.generator.depth)},
                                                      "training_size": int(model.image_size)},
                         "input": {"name": "images", "shape": shape, "dtype": "float32", "range": [0, 1]},
                         "output": {"name": "refined", "shape": shape, "dtype": "float32", "range": [0, 1]}}

    def _run(self, batch):
        return np.asarray(self.model.refine(batch), np.float32)


def _keras_refiner(path):
    from upconv_tf.models.io import load_keras_model
    from upconv_tf.models.refiner import SpectrumRefiner

    model = load_keras_model(path)
    if not isinstance(model, SpectrumRefiner):
        raise ArgumentError("model", f"{path}: a {type(model).__name__}, not a SpectrumRefiner")
    return KerasRefiner(model, path)


def load_refiner(path, backend: str = "auto"):
    """A runner with ``refine(images)`` for a spectrum refiner in any form.

    Args:
        path: an ``upconv-tf refine train`` folder (its ``refiner.keras``) or a refiner ``.keras`` file; an exported
            SavedModel folder; an ``.onnx`` file or a folder holding ``model.onnx``; an export bundle
            (``DIR/model.onnx`` + ``DIR/saved_model/``); a repository-layout folder (the highest version); or a
            bare model name.
        backend: ``"auto"``, ``"keras"``, ``"savedmodel"`` or ``"onnx"`` (for a bundle: which half; ``"auto"``
            prefers ONNX, which needs no TensorFlow).

    Returns:
        :class:`KerasRefiner`, :class:`SavedModelRefiner` or :class:`OnnxRefiner`.

    Raises:
        ArgumentError: one line naming ``model``: missing, not a refiner, or no such form of it.
    """
    if backend not in BACKENDS:
        raise ArgumentError("backend", f"must be one of {BACKENDS}. Received: backend={backend!r}")
    ref = resolve_model(path, "auto" if backend == "keras" else backend, "refiner")
    if ref.kind not in ("refiner", None):
        raise ArgumentError("model", f"{ref.path}: a {ref.kind}, not a refiner")
    if ref.format in ("training-run", "keras"):
        if backend not in ("auto", "keras"):
            raise ArgumentError("model", f"{ref.path}: a .keras refiner, not backend={backend!r}")
        return _keras_refiner(os.path.join(ref.path, REFINER_FILE) if ref.format == "training-run" else ref.path)
    if backend == "keras":
        raise ArgumentError("model", f"{ref.path}: an exported refiner, not a .keras file (backend='keras')")
    if backend == "onnx" or (backend == "auto" and ref.onnx is not None):
        if ref.onnx is None:
            raise ArgumentError("model", f"{ref.path}: no ONNX model here (model.onnx or a .onnx file)")
        return OnnxRefiner(ref.onnx)
    if ref.saved_model is None:
        raise ArgumentError("model", f"{ref.path}: no SavedModel here (saved_model.pb)")
    return SavedModelRefiner(ref.saved_model)
