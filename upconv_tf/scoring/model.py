"""The exported detector as Beam's RunInference sees it: :class:`DetectorModelHandler`.

It takes an export folder URI (local, ``gs://``, any file system Beam has), reads and validates its
``metadata.json`` through Beam's ``FileSystems`` when the pipeline is built, and opens ``model.onnx`` on each
worker in ``load_model`` with the package's runner (:meth:`upconv_tf.runtime.OnnxDetector.from_bytes`: the
package's session options, CUDA where onnxruntime-gpu sees a GPU, the model checked against its metadata).
onnxruntime objects cannot be pickled into a pipeline; the handler carries only the URI, the metadata and
settings.

Importing this module imports Apache Beam, onnxruntime and numpy, never TensorFlow.
"""

from __future__ import annotations

import os

import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.ml.inference.base import PredictionResult
from apache_beam.ml.inference.onnx_inference import OnnxModelHandlerNumpy

from upconv_tf.errors import ArgumentError
from upconv_tf.export.metadata import read_metadata
from upconv_tf.resolve import METADATA_FILE, ONNX_FILE

METRICS_NAMESPACE = "upconv_tf"


def _restore_beam_memory_probe():
    """Beam 2.78's RunInference imports ``resource`` in one try block with a module that needs torch, so without
    torch it logs "Resource module is not available" on every worker at every model load: give it the module."""
    from apache_beam.ml.inference import base

    if getattr(base, "resource", True) is None:
        try:
            import resource
        except ImportError:  # Windows: Beam's message is then true
            return
        base.resource = resource


_restore_beam_memory_probe()


def has_scheme(uri) -> bool:
    """Whether ``uri`` names a file system other than the local one (``gs://...``, ``s3://...``)."""
    return FileSystems.get_scheme(str(uri)) not in (None, "file")


def open_uri(uri):
    """A binary file for ``uri`` through Beam's FileSystems (``FileNotFoundError`` when nothing is there)."""
    from apache_beam.io.filesystem import CompressionTypes

    if not FileSystems.exists(uri):
        raise FileNotFoundError(uri)
    return FileSystems.open(uri, "application/octet-stream", CompressionTypes.UNCOMPRESSED)


def export_uri(model) -> str:
    """The export folder to score with: a URI with a scheme (``gs://...``) as it is; otherwise any local path
    or bare name :func:`upconv_tf.resolve.resolve_model` finds (``spectral-detector``: its highest ONNX
    version), as an absolute folder."""
    if has_scheme(model):
        return str(model)
    from upconv_tf.resolve import resolve_model

    ref = resolve_model(model, backend="onnx", what="detector")
    if ref.onnx is None:
        raise ArgumentError("model", f"{ref.path}: no ONNX model here (scoring runs an exported model.onnx; "
                                     "`upconv-tf export` writes one)")
    return os.path.dirname(os.path.abspath(ref.onnx))


def export_uris(model_uri: str) -> tuple:
    """``(model.onnx URI, metadata.json URI)`` of an export folder URI or of its ``.onnx`` file."""
    model_uri = str(model_uri).rstrip("/")
    if model_uri.endswith(".onnx"):
        folder, onnx = FileSystems.split(model_uri)[0], model_uri
    else:
        folder, onnx = model_uri, FileSystems.join(model_uri, ONNX_FILE)
    return onnx, FileSystems.join(folder, METADATA_FILE)


def read_export_metadata(model_uri: str) -> dict:
    """The validated detector ``metadata.json`` beside an export (a one-line ``ValueError`` otherwise)."""
    onnx, metadata = export_uris(model_uri)
    if not FileSystems.exists(onnx):
        raise ArgumentError("model", f"{onnx}: no such ONNX model (give an export folder holding {ONNX_FILE} and "
                                     f"{METADATA_FILE})")
    return read_metadata(metadata, "detector", opener=open_uri)


class DetectorModelHandler(OnnxModelHandlerNumpy):
    """RunInference handler of an exported detector: (S, S, 3) float32 images in, probabilities out.

    Args:
        model_uri: the export folder (holding ``model.onnx`` and ``metadata.json``) or its ``model.onnx``, on any
            file system Beam reads (``gs://``...); locally also any path or model name
            (``spectral-detector``): :func:`export_uri`.
        batch_size: images per onnxruntime call (RunInference batches exactly this many, fewer at the end of a
            bundle).
        threads: onnxruntime intra-op threads per model (None: :func:`upconv_tf.runtime.session_options`'s
            default, one per physical core; 1 where as many worker processes as cores share a machine).
        providers: onnxruntime execution providers (None: chosen on the worker, CUDA where present).

    Attributes:
        metadata: the export's validated metadata.json (``threshold``, ``name``, ``version``, ``input``...).

    Example:

    >>> handler = DetectorModelHandler("gs://BUCKET/export/spectral-detector/3")  # doctest: +SKIP
    >>> images | RunInference(KeyedModelHandler(handler))  # (path, (S, S, 3)) -> (path, PredictionResult)
    """

    def __init__(self, model_uri: str, *, batch_size: int = 32, threads: int | None = None, providers=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ArgumentError("batch_size", f"must be an integer >= 1. Received: batch_size={batch_size!r}")
        model_uri = export_uri(model_uri)
        onnx_uri, _ = export_uris(model_uri)
        self.metadata = read_export_metadata(model_uri)
        super().__init__(onnx_uri, providers=list(providers) if providers else None,
                         min_batch_size=batch_size, max_batch_size=batch_size)
        self._threads = threads

    @property
    def threshold(self) -> float:
        """The probability from which the export labels an image generated (its metadata's ``threshold``)."""
        return float(self.metadata.get("threshold", 0.5))

    def load_model(self):
        """An :class:`upconv_tf.runtime.OnnxDetector` on this worker, its model read through FileSystems."""
        from upconv_tf.runtime.onnx import OnnxDetector

        with open_uri(self._model_uri) as handle:
            model = handle.read()
        return OnnxDetector.from_bytes(model, self.metadata, self._model_uri, providers=self._providers,
                                       threads=self._threads)

    def run_inference(self, batch, model, inference_args=None):
        """One onnxruntime call on the stacked batch; a :class:`PredictionResult` per image."""
        probabilities = model.probability(np.stack(batch), batch_size=len(batch))
        return [PredictionResult(example, float(p)) for example, p in zip(batch, probabilities)]

    def get_num_bytes(self, batch) -> int:
        return sum(example.nbytes for example in batch)

    def get_metrics_namespace(self) -> str:
        return METRICS_NAMESPACE
