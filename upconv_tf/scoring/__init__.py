"""Scoring image files past one machine with Apache Beam's RunInference: an exported detector (ONNX) over a
bucket, on the local runner or on Dataflow, Flink or Spark (docs/deployment.md, "Scoring a bucket").

* :func:`score`: the whole job (what ``upconv-tf score`` runs): patterns -> JSON-lines scores + skipped files.
* :class:`ScoreImages`: the PTransform, for pipelines of your own (e.g. TFX's).
* :class:`DetectorModelHandler`: the RunInference model handler of an export folder URI.

Nothing here imports TensorFlow, Keras or scikit-learn: a worker needs only the ``score`` install
(onnxruntime, numpy, Pillow, Apache Beam). Importing this package imports nothing until a name is used.

Example:

>>> from upconv_tf.scoring import score  # doctest: +SKIP
>>> summary = score("photos/*.jpg", "spectral-detector", "scores/run1")  # doctest: +SKIP
>>> summary["scored"], summary["outputs"]["scores"]  # doctest: +SKIP
(120, ['scores/run1-scores-00000-of-00001.jsonl'])
"""

from upconv_tf._lazy import lazy_names

# name -> module under upconv_tf.scoring (imported on first use: Apache Beam takes seconds to import).
_NAMES = {
    "score": ".run", "pipeline_options": ".run", "PipelineFailed": ".run", "ScoreImages": ".transforms",
    "SCORE_KEYS": ".transforms", "DetectorModelHandler": ".model",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_names(__name__, _NAMES, globals())
