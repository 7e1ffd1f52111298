"""Exported SavedModels through TensorFlow, with the same API as the ONNX runners: :class:`SavedModelDetector`,
:class:`SavedModelGenerator`. TensorFlow is imported when a model is opened, not before."""

from __future__ import annotations

import logging
import os

from upconv_tf.export.metadata import read_metadata
from upconv_tf.resolve import METADATA_FILE
from upconv_tf.runtime.base import _DetectorMixin, _GeneratorMixin, _Runner

logger = logging.getLogger("upconv_tf.runtime")


class _SavedModel(_Runner):
    provider = "tensorflow"

    def __init__(self, path):
        import tensorflow as tf

        self.path = os.fspath(path)
        self.source = self.path
        if not os.path.isfile(os.path.join(self.path, "saved_model.pb")):
            raise ValueError(f"{self.path}: not a SavedModel folder (no saved_model.pb)")
        self.metadata = read_metadata(os.path.join(self.path, METADATA_FILE), self.reads)
        try:
            loaded = tf.saved_model.load(self.path)
            self._function = loaded.signatures["serving_default"]
        except (KeyError, OSError, ValueError, tf.errors.OpError) as error:
            raise ValueError(f"{self.path}: not a usable SavedModel ({str(error).splitlines()[0]})") from None
        self._loaded = loaded
        outputs = self._function.structured_outputs
        self._check_signature({k: v.shape.as_list() for k, v in self._function.structured_input_signature[1].items()},
                              {k: v.shape.as_list() for k, v in outputs.items()} if isinstance(outputs, dict) else {},
                              os.path.join(self.path, METADATA_FILE))
        logger.info("%s: TensorFlow SavedModel", self.path)

    def _run(self, batch):
        return self._function(**{self.input_name: batch})[self.output_name].numpy()


class SavedModelDetector(_DetectorMixin, _SavedModel):
    """An exported detector SavedModel (with metadata.json) through TensorFlow; same API as OnnxDetector."""


class SavedModelGenerator(_GeneratorMixin, _SavedModel):
    """An exported generator SavedModel through TensorFlow; same API as OnnxGenerator."""
