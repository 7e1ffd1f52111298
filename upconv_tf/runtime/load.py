"""The loaders: any path a user gives -> the object that runs it.

Every loader asks :func:`upconv_tf.resolve.resolve_model` what the path holds (a bare name such as
``spectral-detector`` is found from any folder) and then opens it with the library it needs, importing
TensorFlow only for SavedModels and Keras files and scikit-learn only for detector folders.

* :func:`load`: anything -> a detector or generator runner, a scikit-learn detector, or a Keras model; each has a
  ``kind`` (``"detector"``, ``"generator"``, ``"autoencoder"``, ``"refiner"``).
* :func:`load_predictor`: detectors only (``predict_proba``).
* :func:`load_generator`: generators only (``sample`` / ``generate``).

Example:

>>> detector = load("spectral-detector")  # doctest: +SKIP
>>> detector.kind, detector.predict_proba(images)[:, 1]  # doctest: +SKIP
"""

from __future__ import annotations

import os

from upconv_tf.errors import ArgumentError
from upconv_tf.resolve import AUTOENCODER_FILE, GENERATOR_FILE, ModelRef, resolve_model

DETECTOR_BACKENDS = ("auto", "sklearn", "savedmodel", "onnx")
GENERATOR_BACKENDS = ("auto", "keras", "savedmodel", "onnx")


def _check_backend(backend, allowed):
    if backend not in allowed:
        raise ArgumentError("backend", f"must be one of {allowed}. Received: backend={backend!r}")


def _open_export(ref: ModelRef, backend: str, kind: str):
    """The runner of an exported model (``ref.format`` savedmodel, onnx or bundle) as a ``kind``."""
    from upconv_tf.runtime.onnx import OnnxDetector, OnnxGenerator
    from upconv_tf.runtime.savedmodel import SavedModelDetector, SavedModelGenerator

    onnx_class, saved_model_class = ((OnnxDetector, SavedModelDetector) if kind == "detector" else
                                     (OnnxGenerator, SavedModelGenerator))
    if backend == "onnx" or (backend == "auto" and ref.onnx is not None):  # ONNX needs no TensorFlow
        if ref.onnx is None:
            raise ArgumentError("model", f"{ref.path}: no ONNX model here (model.onnx or a .onnx file)")
        return onnx_class(ref.onnx)
    if ref.saved_model is None:
        raise ArgumentError("model", f"{ref.path}: no SavedModel here (saved_model.pb)")
    return saved_model_class(ref.saved_model)


def load_predictor(path, backend: str = "auto"):
    """An object with ``predict_proba(images)`` for any detector a user may point at.

    Args:
        path: an ``.onnx`` file; a SavedModel folder (``saved_model.pb`` + metadata.json); a folder holding
            ``model.onnx``; the folder ``upconv-tf detector train`` wrote (its scikit-learn detector, or with
            ``backend`` its ``saved_model/`` or ``model.onnx``); a model folder of the repository layout
            (``saved_models/<name>`` or ``export/<name>``: the highest version); or a bare model name
            (``spectral-detector``), found from any folder (:func:`upconv_tf.resolve.models_homes`).
        backend: ``"auto"``, ``"sklearn"``, ``"savedmodel"`` or ``"onnx"``.

    Returns:
        :class:`~upconv_tf.runtime.OnnxDetector`, :class:`~upconv_tf.runtime.SavedModelDetector` or a
        :class:`~upconv_tf.detection.SpectralDetector`.
    """
    _check_backend(backend, DETECTOR_BACKENDS)
    ref = resolve_model(path, "savedmodel" if backend == "sklearn" else backend, "detector")
    if ref.kind not in ("detector", None):
        raise ArgumentError("model", f"{ref.path}: a {ref.kind}, not a detector")
    if ref.format == "detector-folder" and backend in ("auto", "sklearn"):
        from upconv_tf.detection import load_detector

        return load_detector(ref.path)
    if backend == "sklearn" or ref.format in ("keras", "training-run"):
        raise ArgumentError("model", f"{ref.path}: no {'' if backend == 'auto' else backend + ' '}detector found "
                                     "(expected an .onnx file, a SavedModel, model.onnx or a folder written by "
                                     "`upconv-tf detector train`)")
    return _open_export(ref, backend, "detector")


def input_settings(predictor, path) -> dict:
    """How image files must be loaded for ``predictor`` (from :func:`load_predictor` on ``path``).

    Returns ``{"size", "policy", "threshold", "fixed"}``: an exported model takes one image size, fixed by its
    graph (``fixed`` True: a caller must not ask for another); a detector folder records the size and policy it
    was trained with (``size`` None: native sizes), which a caller may override. ``threshold``: the model's own
    label threshold.
    """
    if hasattr(predictor, "input_settings"):
        return dict(predictor.input_settings(), fixed=True)
    from upconv_tf.detection import read_detector_info

    info = read_detector_info(resolve_model(path).path)
    saved = info["metadata"].get("input", {})
    return {"size": saved.get("size"), "policy": saved.get("policy", "center-crop"), "threshold": info["threshold_"],
            "fixed": False}


def _keras_runner(path):
    from upconv_tf.models.io import load_keras_model
    from upconv_tf.runtime.keras import KerasGenerator

    return KerasGenerator(load_keras_model(path), path)


def _generator_runner(ref: ModelRef, backend: str):
    if ref.format == "training-run":
        if backend not in ("auto", "keras"):
            raise ArgumentError("model", f"{ref.path}: a training folder holds a .keras model, not backend={backend!r}")
        name = GENERATOR_FILE if ref.kind == "generator" else AUTOENCODER_FILE
        return _keras_runner(os.path.join(ref.path, name))
    if ref.format == "keras":
        if backend not in ("auto", "keras"):
            raise ArgumentError("model", f"{ref.path}: a .keras file, not backend={backend!r}")
        return _keras_runner(ref.path)
    if backend == "keras":
        raise ArgumentError("model", f"{ref.path}: an exported model, not a .keras file (backend='keras')")
    return _open_export(ref, backend, "generator")


def load_generator(path, backend: str = "auto"):
    """The one loader of generators, whatever form they come in, as a runner with ``sample`` / ``generate``.

    Args:
        path: an ``upconv-tf train gan`` folder (its ``generator.keras``); a generator ``.keras`` file (or a
            saved SpectralGAN: its generator); an exported SavedModel folder; an ``.onnx`` file or a folder
            holding ``model.onnx``; an export bundle (``DIR/model.onnx`` + ``DIR/saved_model/``); a model folder
            of the repository layout (the highest version); or a bare model name (``generator``).
        backend: ``"auto"``, ``"keras"``, ``"savedmodel"`` or ``"onnx"`` (for a bundle: which half).

    Returns:
        :class:`~upconv_tf.runtime.KerasGenerator`, :class:`~upconv_tf.runtime.SavedModelGenerator` or
        :class:`~upconv_tf.runtime.OnnxGenerator`: ``sample(count, seed)`` gives images in the output range
        (``metadata["output"]["range"]``); :mod:`upconv_tf.sampling` maps them to [0, 1].

    Raises:
        ValueError: one line saying what is wrong (missing, not a model, an auto-encoder, damaged...).

    Example:

    >>> load_generator("generator").sample(4, seed=0).shape  # doctest: +SKIP
    (4, 32, 32, 3)
    """
    _check_backend(backend, GENERATOR_BACKENDS)
    ref = resolve_model(path, "auto" if backend == "keras" else backend, "generator")
    if ref.kind == "autoencoder":
        raise ArgumentError("model", f"{ref.path}: an auto-encoder (images in, images out), not a generator of "
                                     "latent vectors")
    if ref.kind not in ("generator", None):
        raise ArgumentError("model", f"{ref.path}: a {ref.kind}, not a generator")
    runner = _generator_runner(ref, backend)
    if len(runner.metadata["input"]["shape"]) != 2:
        raise ArgumentError("model", f"{ref.path}: an auto-encoder (images in, images out), not a generator of "
                                     "latent vectors")
    return runner


def load(path, backend: str = "auto"):
    """Any model the package makes, from any path or name, as the object that runs it; ``.kind`` says what it is.

    Args:
        path: anything :func:`upconv_tf.resolve.resolve_model` understands: a detector folder, an
            ``upconv-tf train`` folder, a ``.keras`` file, an exported SavedModel / ONNX model / bundle, a
            repository-layout folder, or a bare name (``spectral-detector``, ``generator``).
        backend: ``"auto"``; ``"sklearn"`` (detector folders), ``"keras"``, ``"savedmodel"`` or ``"onnx"`` to pick
            one form where several exist.

    Returns:
        detectors: a :class:`~upconv_tf.detection.SpectralDetector` (detector folder) or an ONNX / SavedModel
        detector runner (``predict_proba``); generators and auto-encoders: a runner (``generate``, and ``sample``
        for generators; a Keras-backed runner's ``model`` is the ``keras.Model``); refiners: a refiner runner
        (``refine``, :mod:`upconv_tf.runtime.refiner`).
    """
    _check_backend(backend, ("auto", "sklearn", "keras", "savedmodel", "onnx"))
    ref = resolve_model(path, backend if backend in ("savedmodel", "onnx") else "auto")
    if ref.kind == "detector":
        return load_predictor(ref.path, backend if backend != "keras" else "auto")
    if ref.kind in ("generator", "autoencoder"):
        return _generator_runner(ref, "auto" if backend == "sklearn" else backend)
    if ref.kind == "refiner":
        from upconv_tf.runtime.refiner import load_refiner

        return load_refiner(ref.path, "auto" if backend == "sklearn" else backend)
    if ref.format in ("onnx", "savedmodel", "bundle"):
        raise ArgumentError("model", f"{ref.path}: its metadata.json does not say what kind of model it is")
    raise ArgumentError("model", f"{ref.path}: not a model this package can load")
