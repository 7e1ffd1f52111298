"""A Keras generator or auto-encoder with the runners' API (:class:`KerasGenerator`)."""

from __future__ import annotations

import os

import numpy as np

from upconv_tf.runtime.base import _GeneratorMixin, _Runner


class KerasGenerator(_GeneratorMixin, _Runner):
    """A Keras generator (latent -> images in [-1, 1]) or auto-encoder with the runners' API.

    ``metadata`` is built from the model (no metadata.json: a .keras file describes itself); ``model`` is the
    Keras model. Made by :func:`load_generator` for ``.keras`` files and ``upconv-tf train`` folders.
    """

    provider = "keras"

    def __init__(self, model, source="keras model"):
        self.model = model
        self.path = self.source = os.fspath(source)
        from upconv_tf.export.api import model_input_shape

        in_shape = model_input_shape(model)  # functional models, or a SpectralAutoencoder's image size
        out_shape = [None] + list(self._run(np.zeros([1] + in_shape[1:], np.float32)).shape[1:])
        latent = len(in_shape) == 2
        self.metadata = {
            "kind": "generator" if latent else "autoencoder",
            "input": {"name": "latent" if latent else "images", "shape": in_shape, "dtype": "float32"},
            "output": {"name": "images" if latent else "reconstruction", "shape": out_shape, "dtype": "float32",
                       "range": [-1, 1]},
        }

    def _run(self, batch):
        return np.asarray(self.model(batch, training=False), np.float32)
