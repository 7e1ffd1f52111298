"""Export trained detectors and generators to SavedModel and ONNX, with metadata.json.

* :func:`export_detector`: a fitted :class:`upconv_tf.detection.SpectralDetector` as one graph, image batch
  (float32, [0, 1]) in, probability of "generated" out; gray, FFT, azimuthal integral, normalisation,
  resampling, scaler and classifier all inside.
* :func:`export_generator`: a generator (latent in, images out) or an auto-encoder, named and typed after it.
* :func:`export_path`: whatever a path holds (detector folder, ``upconv-tf train`` folder, ``.keras`` file).
* :func:`write_head` / :func:`build_head`: a detector shipped as its head (scaler, classifier, threshold) whose
  SavedModel and ONNX hold a pretrained backbone and are built where they are used (:mod:`upconv_tf.export.head`).
* Layout and atomic writes: :mod:`upconv_tf.export.layout`; metadata: :mod:`upconv_tf.export.metadata`.

Run them with :mod:`upconv_tf.runtime` (onnxruntime, or the SavedModel through TensorFlow).
"""

from upconv_tf._lazy import lazy_names

# Loaded on first use, so that the runtime can read metadata.json and the layout without the writers (and
# without TensorFlow).
_NAMES = {
    "FORMATS": ".api", "ExportResult": ".api", "export_detector": ".api", "export_generator": ".api",
    "export_path": ".api", "export_trained_detector": ".api", "next_version": ".layout",
    "read_metadata": ".metadata", "validate_metadata": ".metadata", "build_head": ".head", "write_head": ".head",
    "detector_export_metadata": ".api",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_names(__name__, _NAMES, globals())
