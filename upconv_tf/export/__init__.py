"""Export trained detectors and generators to SavedModel and ONNX, with metadata.json (issue 5).

* :func:`export_detector`: a fitted :class:`upconv_tf.detection.SpectralDetector` as one graph, image batch
  (float32, [0, 1]) in, probability of "generated" out; gray, FFT, azimuthal integral, normalisation,
  resampling, scaler and classifier all inside.
* :func:`export_generator`: a generator (latent in, images out) or an auto-encoder, named and typed after it.
* :func:`export_path`: whatever a path holds (detector folder, ``upconv-tf train`` folder, ``.keras`` file).
* Layout and atomic writes: :mod:`upconv_tf.export.layout`; metadata: :mod:`upconv_tf.export.metadata`.

Run them with :mod:`upconv_tf.inference` (onnxruntime, or the SavedModel through TensorFlow).
"""

from upconv_tf.export.api import (
    FORMATS,
    ExportResult,
    export_detector,
    export_generator,
    export_path,
    export_trained_detector,
)
from upconv_tf.export.layout import next_version
from upconv_tf.export.metadata import read_metadata, validate_metadata

__all__ = [
    "FORMATS", "ExportResult", "export_detector", "export_generator", "export_path", "export_trained_detector",
    "next_version", "read_metadata", "validate_metadata",
]
