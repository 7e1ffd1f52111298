"""``export_refiner``: a trained :class:`upconv_tf.models.refiner.SpectrumRefiner` as SavedModel and ONNX.

One graph, images in, refined images out (the generator only: the discriminators are training machinery). Input
``images`` float32 ``(N, S, S, 3)`` in [0, 1] at the export's fixed size ``S``, output ``refined``, same shape, in
[0, 1]. The SavedModel computes the spectrum with ``tf.signal.fft2d``; the ONNX graph with the MatMul DFT of
:mod:`upconv_tf.layers.dft` (:class:`upconv_tf.layers.SpectrumDecomposition` with ``dft="matmul"``), so it has no
DFT operator and every node has a kernel in onnxruntime's CUDA provider. Both give the same images to float32
rounding. Same layout, atomic staging and metadata.json as the other exports (:mod:`upconv_tf.export.api`),
``kind="refiner"``.
"""

from __future__ import annotations

from upconv_tf.errors import ArgumentError
from upconv_tf.export.api import FORMATS, ExportResult, _write
from upconv_tf.export.metadata import base_metadata
from upconv_tf.export.onnx import OPSET, function_to_onnx

REFINER_NAME = "refiner"
INPUT_NAME, OUTPUT_NAME = "images", "refined"


def _check_refiner(model):
    from upconv_tf.models.refiner import SpectrumRefiner

    if not isinstance(model, SpectrumRefiner):
        raise ArgumentError("model", f"must be a SpectrumRefiner. Received: {type(model).__name__}")
    for layer in model.generator._flatten_layers(include_self=False):
        policy = getattr(layer, "dtype_policy", None)
        if policy is not None and getattr(policy, "compute_dtype", "float32") not in ("float32", None):
            raise ArgumentError("model", f"is not float32: ONNX export needs a float32 dtype policy; layer "
                                         f"{layer.name!r} computes in {policy.compute_dtype}")
    return model


def _image_size(model, image_size):
    factor = 2 ** (model.generator.depth - 1)
    size = model.image_size if image_size is None else image_size
    if isinstance(size, bool) or not isinstance(size, int) or size < max(factor, 16) or size % factor:
        raise ArgumentError("image_size", f"must be a multiple of {factor} (the generator's depth), at least 16. "
                                          f"Received: image_size={image_size!r}")
    return size


def export_refiner(model, out_dir=None, *, image_size=None, name=REFINER_NAME, version=None, metadata=None, root=".",
                   formats=FORMATS, opset=OPSET) -> ExportResult:
    """Export a :class:`~upconv_tf.models.refiner.SpectrumRefiner` (module docstring).

    Args:
        model: the refiner (trained, or at least built).
        out_dir: bundle folder (``out_dir/saved_model/``, ``out_dir/model.onnx``, ``out_dir/metadata.json``); None
            writes the repository layout under ``root`` (``saved_models/<name>/<version>/``, ``export/<name>/<version>/``).
        image_size: side of the exported model's square images (default: the training size; any multiple of
            ``2 ** (depth - 1)``).
        name, version, metadata, root, formats, opset: as :func:`upconv_tf.export.export_generator`.

    Returns:
        :class:`upconv_tf.export.ExportResult`.

    Example:

    >>> export_refiner(refiner, "out/refiner")  # doctest: +SKIP
    >>> OnnxRefiner("out/refiner").refine(images)  # doctest: +SKIP
    """
    import keras
    import tensorflow as tf

    model = _check_refiner(model)
    size = _image_size(model, image_size)
    shape = [None, size, size, model.generator.channels]
    signature = [tf.TensorSpec(shape, tf.float32, name=INPUT_NAME)]

    def forward(images):
        return {OUTPUT_NAME: model.refine(images)}

    def forward_matmul(images):
        return {OUTPUT_NAME: model.refine(images, dft="matmul")}

    def save_saved_model(path):
        archive = keras.export.ExportArchive()
        archive.track(model.generator)  # the only weights the refinement reads (not the discriminators)
        archive.add_endpoint(name="serving_default", fn=forward, input_signature=signature)
        archive.write_out(path, verbose=False)

    def save_onnx(path):
        function = tf.function(forward_matmul, input_signature=signature)
        function_to_onnx(function, signature, path, [OUTPUT_NAME], opset)

    generator = model.generator
    data = base_metadata(
        "refiner", name, version,
        inputs={"name": INPUT_NAME, "shape": shape, "dtype": "float32", "range": [0, 1],
                "description": "generated images to refine, values in [0, 1]"},
        outputs={"name": OUTPUT_NAME, "shape": shape, "dtype": "float32", "range": [0, 1],
                 "description": "the images with a refined magnitude spectrum and their own phase"},
        extra={"model": {"class": type(model).__name__, "name": model.name,
                         "parameters": int(generator.count_params()), "training_size": model.image_size,
                         "generator": {key: generator.get_config()[key] for key in (
                             "width", "depth", "nested", "norm", "coordinates", "residual")},
                         "losses": model.losses_config.as_dict()},
               "spectral": {"magnitude_floor": model.magnitude_floor, "saved_model_dft": "fft"},
               "onnx": {"opset": int(opset), "dft": "matmul"}},
    )
    data.update(metadata or {})
    return _write(save_saved_model, save_onnx, data, out_dir, name, version, root, formats)
