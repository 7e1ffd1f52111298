"""``export_detector`` and ``export_generator``: SavedModel + ONNX + metadata.json, written atomically."""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from upconv_tf._atomic import write_json
from upconv_tf.errors import ArgumentError
from upconv_tf.export import layout
from upconv_tf.export.metadata import FILENAME, base_metadata
from upconv_tf.export.onnx import OPSET, function_to_onnx

FORMATS = ("saved_model", "onnx")


@dataclasses.dataclass
class ExportResult:
    """Paths written by an export (``None`` for a format that was not asked for) and the metadata."""

    saved_model: str | None
    onnx: str | None
    metadata: dict
    version: int | None


def _image_size(image_size):
    height, width, _ = _image_shape(image_size)
    return height, width


def _image_shape(image_size):
    """``(height, width, channels)`` of an ``image_size``: a side, ``(height, width)`` (3 channels) or
    ``(height, width, channels)``."""
    def whole(value):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)

    if whole(image_size):
        return int(image_size), int(image_size), 3
    if isinstance(image_size, (tuple, list)) and len(image_size) in (2, 3) and all(map(whole, image_size)):
        height, width, channels = (*map(int, image_size), 3)[:3]
        if channels not in (1, 3, 4):
            raise ArgumentError("image_size", f"channels must be 1, 3 or 4. Received: image_size={image_size!r}")
        return height, width, channels
    raise ArgumentError("image_size", "must be an integer, (height, width) or (height, width, channels). "
                                      f"Received: image_size={image_size!r}")


def _check_formats(formats):
    formats = tuple(formats)
    if not formats or any(f not in FORMATS for f in formats):
        raise ArgumentError("formats", f"must be a non-empty subset of {FORMATS}. Received: formats={formats!r}")
    return formats


def _write(save_saved_model, save_onnx, metadata, out_dir, name, version, root, formats):
    """Stage and commit both formats with their metadata, in the bundle or the repository layout."""
    formats = _check_formats(formats)
    if out_dir is None:
        layout.check_name(name)
        root = os.fspath(root)
        if version is None:
            version = layout.next_version(root, name)
        elif isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 1:
            raise ArgumentError("version", f"must be an integer >= 1. Received: version={version!r}")
        version = int(version)
        saved_model_dir = os.path.join(root, layout.SAVED_MODELS, name, str(version))
        onnx_dir = os.path.join(root, layout.ONNX_ROOT, name, str(version))
        for folder in (saved_model_dir, onnx_dir):
            if os.path.exists(folder):
                raise ValueError(f"{folder} already exists: versions are never overwritten; "
                                 f"pick another `version` or leave it out for the next one")
    else:
        saved_model_dir = os.path.join(out_dir, layout.SAVED_MODEL_DIR)
        onnx_dir = os.fspath(out_dir)
    metadata = dict(metadata, name=name, version=version)
    result = ExportResult(None, None, metadata, version)
    with layout.Staging() as staging:
        if "saved_model" in formats:
            folder = staging.folder(saved_model_dir)
            save_saved_model(folder)
            write_json(metadata, os.path.join(folder, FILENAME))
            result.saved_model = saved_model_dir
        if "onnx" in formats:
            onnx_path = os.path.join(onnx_dir, layout.ONNX_FILE)
            if out_dir is None:
                folder = staging.folder(onnx_dir)
                save_onnx(os.path.join(folder, layout.ONNX_FILE))
                write_json(metadata, os.path.join(folder, FILENAME))
            else:
                save_onnx(staging.file(onnx_path))
                write_json(metadata, staging.file(os.path.join(onnx_dir, FILENAME)))
            result.onnx = onnx_path
        staging.commit()
    return result


def _save_function(function, path):
    """SavedModel of a ``tf.function``: the detector's parameters are graph constants; the variables it captures
    (a hybrid detector's backbone) are tracked, so that they are saved once, in ``variables/``."""
    import tensorflow as tf

    # The signature only: also tracking the function as an attribute stored its graph, with every constant
    # (an SVM's support vectors), twice.
    concrete = function.get_concrete_function()
    module = tf.Module()
    module.captured_variables = list(concrete.variables)
    tf.saved_model.save(module, path, signatures={"serving_default": concrete})


def export_detector(detector, out_dir=None, *, image_size, name="spectral-detector", version=None, metadata=None,
                    root=".", formats=FORMATS, opset=OPSET, compute_dtype="float64") -> ExportResult:
    """Export a fitted :class:`upconv_tf.detection.SpectralDetector` as one graph, images -> P(generated).

    Input ``images``: float32 ``(N, H, W, C)`` in [0, 1] (as the loaders give; RGB, gray or RGBA).
    Output ``probability``: float32 ``(N,)``, equal to ``detector.predict_proba(images)[:, 1]``.

    Args:
        detector: a fitted SpectralDetector (svm, logreg or kmeans).
        out_dir: bundle folder (``out_dir/saved_model/``, ``out_dir/model.onnx``, ``out_dir/metadata.json``);
            None writes the repository layout under ``root`` (``saved_models/<name>/<version>/`` and
            ``export/<name>/<version>/``).
        image_size: H x W of the exported model (int, (H, W), or (H, W, C) for C = 1 or 4 channels instead of
            3); fixed per model. Other sizes are fine to train on: the profile is resampled to the detector's
            ``num_bins_``.
        name: model name in the repository layout.
        version: version number (repository layout only); None takes the next one.
        metadata: extra keys for metadata.json, e.g. ``{"training_data": {...}, "metrics": {...}}``.
        root: repository root for the layout.
        formats: ``("saved_model", "onnx")`` or a subset.
        opset: ONNX opset, 17 (default) or 18 (newer opsets change operators the CUDA provider lacks).
        compute_dtype: precision inside the graph, ``"float64"`` (default; probabilities within ~1e-7 of
            scikit-learn) or ``"float32"`` (faster; float32 FFT rounding moves them by up to ~1e-3).

    Returns:
        :class:`ExportResult`.

    Example:

    >>> result = export_detector(detector, "out/", image_size=64)  # doctest: +SKIP
    >>> OnnxDetector(result.onnx).predict_proba(images)[:, 1]  # doctest: +SKIP
    """
    from upconv_tf.detection.features import FEATURE_KINDS
    from upconv_tf.export.graph import check_fitted, detector_function, feature_kind

    check_fitted(detector)
    height, width, channels = _image_shape(image_size)
    function = detector_function(detector, height, width, channels, compute_dtype)
    resamples = FEATURE_KINDS[feature_kind(detector)].resamples
    data = detector_export_metadata(detector, (height, width, channels), name, version, opset, compute_dtype,
                                    metadata)

    def save_onnx(path):
        # The ONNX graph computes the spectrum with MatMuls (no DFT operator, which has no CUDA kernel).
        matmul = detector_function(detector, height, width, channels, compute_dtype, fft="matmul")
        # The log of every coefficient is averaged by the non-azimuthal kinds: keep it in float64 (export.onnx).
        function_to_onnx(matmul, matmul.input_signature, path, ["probability"], opset, float64_log=not resamples)

    return _write(lambda path: _save_function(function, path), save_onnx, data, out_dir, name, version, root,
                  formats)


def detector_export_metadata(detector, image_size, name="spectral-detector", version=None, opset=OPSET,
                             compute_dtype="float64", metadata=None) -> dict:
    """The metadata.json of :func:`export_detector` for ``detector`` at ``image_size`` (no graph is built): input
    and output tensors, the features, the classifier, the threshold, and the extra keys of ``metadata``."""
    from upconv_tf.detection import hybrid
    from upconv_tf.detection.features import FEATURE_KINDS
    from upconv_tf.export.graph import REDUCTION, check_fitted, feature_kind

    check_fitted(detector)
    height, width, channels = _image_shape(image_size)
    kind = feature_kind(detector)
    resamples = FEATURE_KINDS[kind].resamples
    classifier = {"kind": detector.classifier, "classes": np.asarray(detector.classes_).tolist(),
                  "probability": _PROBABILITY[detector.classifier]}
    params = detector.get_params() if hasattr(detector, "get_params") else {}
    # The classifier's own parameters; the feature settings are described once, under "spectral".
    classifier["params"] = {k: v for k, v in params.items() if isinstance(v, (int, float, str, bool, type(None)))
                            and k not in FEATURE_PARAMS}
    if detector.classifier == "kmeans":
        classifier["fake_cluster"] = int(detector.fake_cluster_)
    if detector.classifier == "svm":
        classifier["support_vectors"] = int(len(detector.classifier_.support_vectors_))
        classifier["calibration"] = [float(v) for v in detector.calibration_]
    data = base_metadata(
        "detector", name, version,
        inputs={"name": "images", "shape": [None, height, width, channels], "dtype": "float32", "range": [0, 1],
                "description": "image batch, values in [0, 1] (as upconv_tf.datasets loads them)"},
        outputs={"name": "probability", "shape": [None], "dtype": "float32", "range": [0, 1],
                 "description": "probability that each image is generated"},
        # mode/normalize apply to the azimuthal kind only (null for the other kinds, whose rings their kind defines):
        # every "mode" of metadata.json is the one the features use.
        extra={"spectral": {"feature_kind": kind, "mode": detector.mode if resamples else None,
                            "normalize": detector.normalize if resamples else None,
                            "num_bins": int(detector.num_bins_),
                            "native_bins": FEATURE_KINDS[kind].length(height, width, detector.mode),
                            "reduction": REDUCTION, "compute_dtype": compute_dtype},
               "classifier": classifier, "onnx": {"opset": int(opset), "fft": "matmul"}},
    )
    if kind == hybrid.KIND:
        data["backbone"] = hybrid.backbone_metadata()
    # The label threshold travels with the model: runners and `upconv-tf detect` label "generated" from it.
    data["threshold"] = float(getattr(detector, "threshold_", 0.5))
    data["target_fpr"] = getattr(detector, "target_fpr", None)
    data.update(metadata or {})
    if not resamples and isinstance(data.get("preset"), dict):  # the recipe's unused settings, as under "spectral"
        data["preset"] = dict(data["preset"], mode=None, normalize=None)
    return data


# SpectralDetector parameters that describe the features (metadata.json "spectral"), not the classifier.
FEATURE_PARAMS = ("feature_kind", "mode", "normalize", "num_bins")
_PROBABILITY = {
    "logreg": "sigmoid(coef . scaled + intercept)",
    "svm": "Platt sigmoid 1 / (1 + exp(-(a d + b))) of the RBF decision d, (a, b) = calibration",
    "kmeans": "d_real / (d_real + d_fake), Euclidean distances of the scaled features to the cluster centres",
}


def _generator_model(model):
    """The Keras model to export: ``model.generator`` for a GAN wrapper, else ``model`` itself."""
    import keras

    inner = getattr(model, "generator", None)
    if isinstance(inner, keras.Model):
        model = inner
    if not isinstance(model, keras.Model):
        raise ArgumentError("model", f"must be a Keras model (a generator, SpectralGAN or SpectralAutoencoder). "
                                     f"Received: {type(model).__name__}")
    for layer in model._flatten_layers(include_self=False):
        policy = getattr(layer, "dtype_policy", None)
        if policy is not None and getattr(policy, "compute_dtype", "float32") not in ("float32", None):
            raise ValueError(f"ONNX export needs a float32 dtype policy; layer {layer.name!r} computes in "
                             f"{policy.compute_dtype}. Rebuild the model under keras.config.set_dtype_policy"
                             f"('float32') and copy the weights.")
    return model


def model_input_shape(model, input_shape=None) -> list:
    """(None, ...) input shape: given, or the functional model's, or an auto-encoder's image size."""
    try:
        inputs = model.inputs  # functional models; subclassed ones have none
    except AttributeError:
        inputs = None
    if input_shape is not None:
        shape = tuple(input_shape)
    elif inputs:
        shape = tuple(inputs[0].shape[1:])
    elif isinstance(getattr(model, "image_size", None), int):  # SpectralAutoencoder
        shape = (model.image_size, model.image_size, 3)
    else:
        raise ValueError(f"Cannot tell the input shape of {model.name}; pass `input_shape` (without the batch).")
    if not shape or not all(isinstance(d, (int, np.integer)) and d > 0 for d in shape):
        raise ArgumentError("input_shape", f"must be fixed positive sizes without the batch. Received: {shape}")
    return [None] + [int(d) for d in shape]


def export_generator(model, out_dir=None, *, name=None, version=None, metadata=None, root=".",
                     formats=FORMATS, opset=OPSET, output_range=(-1, 1), input_shape=None) -> ExportResult:
    """Export a generator (latent -> image) or an auto-encoder (image -> image) as SavedModel and ONNX.

    Name and kind follow the model: a generator is ``kind="generator"`` and named ``generator`` by default,
    an auto-encoder ``kind="autoencoder"`` and ``autoencoder``, so the two never share version numbers.

    The SavedModel comes from ``keras.export.ExportArchive`` with a ``serving_default`` signature: input
    ``latent`` (N, latent_dim) for a generator or ``images`` (N, H, W, C) for an auto-encoder, output
    ``images`` (``reconstruction`` for an auto-encoder), in the tanh range [-1, 1] for the package's
    models (``(x + 1) / 2`` gives [0, 1]).

    Args:
        model: a built Keras model, or an object with a ``generator`` Keras model (SpectralGAN).
        out_dir, version, metadata, root, formats, opset: as :func:`export_detector`.
        name: model name in the repository layout (default ``"generator"`` or ``"autoencoder"``, by kind).
        output_range: value range of the output, recorded in metadata.json.
        input_shape: input shape without the batch; by default the functional model's, or
            ``(image_size, image_size, 3)`` for a SpectralAutoencoder.

    Returns:
        :class:`ExportResult`.

    Example:

    >>> export_generator(build_generator(size=32, latent_dim=16), "out/")  # doctest: +SKIP
    """
    import keras
    import tensorflow as tf

    model = _generator_model(model)
    in_shape = model_input_shape(model, input_shape)
    probe = model(np.zeros([1] + in_shape[1:], np.float32), training=False)
    out_shape = [None] + [int(d) for d in probe.shape[1:]]
    # An auto-encoder's output cannot share the name of its input ("images") in ONNX.
    input_name, output_name = ("latent", "images") if len(in_shape) == 2 else ("images", "reconstruction")
    signature = [tf.TensorSpec(in_shape, tf.float32, name=input_name)]

    def forward(inputs):
        return {output_name: tf.cast(model(inputs, training=False), tf.float32)}

    function = tf.function(forward, input_signature=signature)

    def save_saved_model(path):
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint(name="serving_default", fn=forward, input_signature=signature)
        archive.write_out(path, verbose=False)

    def save_onnx(path):
        function_to_onnx(function, signature, path, [output_name], opset)

    kind = "generator" if len(in_shape) == 2 else "autoencoder"
    name = kind if name is None else name
    config = {"class": type(model).__name__, "name": model.name, "parameters": int(model.count_params())}
    data = base_metadata(
        kind, name, version,
        inputs={"name": input_name, "shape": in_shape, "dtype": "float32",
                "description": "latent vectors" if input_name == "latent" else "image batch"},
        outputs={"name": output_name, "shape": out_shape, "dtype": "float32", "range": list(output_range),
                 "description": "generated images" if kind == "generator" else "reconstructed images"},
        extra={"model": config, "onnx": {"opset": int(opset)}},
    )
    data.update(metadata or {})
    return _write(save_saved_model, save_onnx, data, out_dir, name, version, root, formats)


DETECTOR_NAME = "spectral-detector"


def export_trained_detector(detector, training: dict, metrics: dict, size: int, policy: str, out_dir=None,
                            name=None, root=".", version=None, preset=None) -> ExportResult:
    """Export a detector with its training summary, the file preprocessing it expects and the preset (recipe)
    it was trained with.

    ``policy="none"`` (native sizes) is recorded as ``"center-crop"``: the exported graph takes one size.
    """
    if policy == "none":
        policy = "center-crop"
    metadata = {"training_data": training, "metrics": metrics,
                "preprocessing": {"size": size, "policy": policy, "color": "RGB"}}
    if preset is not None:
        metadata["preset"] = preset
    return export_detector(detector, out_dir, image_size=size, name=name or DETECTOR_NAME, version=version,
                           metadata=metadata, root=root)


def export_path(path, out_dir=None, *, name=None, version=None, root=".", size=None) -> ExportResult:
    """Export what ``path`` holds, named after what it is.

    Args:
        path: a detector folder (``upconv-tf detector train --out``); an ``upconv-tf train`` folder (its
            ``generator.keras`` or ``autoencoder.keras``); an ``upconv-tf refine train`` folder (its ``refiner.keras``);
            or a ``.keras`` file of a generator, a SpectralGAN, a SpectralAutoencoder or a SpectrumRefiner. A shipped
            head (:mod:`upconv_tf.export.head`, e.g. the bare name of a shipped hybrid detector) without ``out_dir``,
            ``name``, ``version`` or ``size`` gets its SavedModel and ONNX built next to it, in its own version
            (:func:`~upconv_tf.export.head.build_head`).
        out_dir, version, root: as :func:`export_detector` (``version`` applies to the repository layout).
        name: default ``"spectral-detector"``, ``"generator"`` or ``"autoencoder"``: the model's kind.
        size: detectors and refiners: image side of the exported graph (default: the training size).

    Raises:
        ValueError: one line naming the argument (`path`, `size`, `version`) in backquotes.
    """
    from upconv_tf.detection import load_detector, read_detector_info
    from upconv_tf.models.io import load_keras_model
    from upconv_tf.resolve import AUTOENCODER_FILE, DETECTOR_FILE, GENERATOR_FILE, resolve_model

    if out_dir is not None and version is not None:
        raise ArgumentError("version", "applies to the repository layout; it cannot be combined with `out`", mentions=("out",))
    try:
        ref = resolve_model(path)
    except ArgumentError as error:
        raise ArgumentError("path", error.detail) from None
    if ref.format == "detector-folder":
        from upconv_tf.export.head import build_head, is_head

        if is_head(ref.path) and out_dir is None and version is None and name is None and size is None:
            return build_head(ref.path)  # a shipped head: its SavedModel and ONNX, built next to it
        saved = read_detector_info(ref.path)["metadata"]
        size = size or saved.get("input", {}).get("size")
        if size is None:
            raise ArgumentError("size", f"is needed: the detector in {ref.path} was trained on native sizes")
        training = dict(saved.get("training", {}))
        metrics = {key: training.pop(key) for key in list(training) if key.endswith("accuracy")}
        return export_trained_detector(load_detector(ref.path), training, metrics, size,
                                       saved.get("input", {}).get("policy", "center-crop"), out_dir, name, root,
                                       version)
    if ref.kind == "refiner" and ref.format in ("training-run", "keras"):
        from upconv_tf.export.refiner import REFINER_NAME, export_refiner
        from upconv_tf.resolve import REFINER_FILE

        model_file = os.path.join(ref.path, REFINER_FILE) if ref.format == "training-run" else ref.path
        return export_refiner(load_keras_model(model_file), out_dir, image_size=size, name=name or REFINER_NAME,
                              version=version, root=root, metadata={"source": os.path.abspath(model_file)})
    if size is not None:
        raise ArgumentError("size", "applies to detectors and refiners; a generator's size is fixed by the model")
    if ref.format == "training-run":
        model_file = os.path.join(ref.path, GENERATOR_FILE if ref.kind == "generator" else AUTOENCODER_FILE)
    elif ref.format == "keras":
        model_file = ref.path
    else:
        raise ArgumentError("path", f"{ref.path}: nothing to export (no {DETECTOR_FILE}, {GENERATOR_FILE}, "
                                    f"{AUTOENCODER_FILE} or .keras file; it is already an exported model)")
    try:
        model = load_keras_model(model_file)
    except OSError as error:
        raise ArgumentError("path", str(error)) from None
    return export_generator(model, out_dir, name=name, version=version, root=root,
                            metadata={"source": os.path.abspath(model_file)})
