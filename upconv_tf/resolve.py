"""What a path holds: the one place that works out which model a user points at, and where bare model names
(``spectral-detector``) are found from any folder.

:func:`resolve_model` reads only file names, ``metadata.json`` and the ``config.json`` inside a ``.keras`` archive:
it imports no TensorFlow, Keras or scikit-learn, so loaders, exporters and the scoring runtime all ask it first
and then load with the library the answer calls for.

Models homes, searched in order for a bare name or a relative path that does not exist here:

1. ``$UPCONV_TF_HOME`` (a folder holding ``saved_models/`` and/or ``export/``);
2. the current folder;
3. the pretrained models shipped with the package (inside the installed package, or in the source checkout
   an editable install points at).

Example:

>>> ref = resolve_model("spectral-detector")  # doctest: +SKIP
>>> ref.kind, ref.format, ref.path  # doctest: +SKIP
('detector', 'savedmodel', '.../saved_models/spectral-detector/3')
"""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile

from upconv_tf.errors import ArgumentError

# File and folder names of every model artifact the package writes.
METADATA_FILE = "metadata.json"  # beside every exported model
DETECTOR_FILE = "detector.json"  # a detector folder (``upconv-tf detector train --out``)
GENERATOR_FILE = "generator.keras"  # an ``upconv-tf train gan`` folder
AUTOENCODER_FILE = "autoencoder.keras"  # an ``upconv-tf train autoencoder`` folder
REFINER_FILE = "refiner.keras"  # an ``upconv-tf refine train`` folder
ONNX_FILE = "model.onnx"
SAVED_MODEL_DIR = "saved_model"  # the SavedModel half of a bundle (``DIR/saved_model/`` + ``DIR/model.onnx``)
SAVED_MODELS = "saved_models"  # repository layout: saved_models/<name>/<version>/ (TF Serving)
ONNX_ROOT = "export"  # repository layout: export/<name>/<version>/model.onnx
HOME_VARIABLE = "UPCONV_TF_HOME"
PRETRAINED_DIR = "_pretrained"  # the shipped models inside an installed package (saved_models/, export/)
# metadata.json key of a shipped head: a detector folder whose SavedModel / ONNX are built where it is used
# (upconv_tf.export.head).
HEAD_KEY = "head"

KINDS = ("detector", "generator", "autoencoder", "refiner")
FORMATS = ("detector-folder", "training-run", "keras", "savedmodel", "onnx", "bundle")
BACKENDS = ("auto", "sklearn", "keras", "savedmodel", "onnx")


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """A resolved model: ``path`` (file or folder), ``kind`` (:data:`KINDS`, or None when only loading tells),
    ``format`` (:data:`FORMATS`), ``version`` (repository layout), ``given`` (what the user wrote)."""

    path: str
    kind: str | None
    format: str
    version: int | None = None
    given: str | None = None

    @property
    def onnx(self) -> str | None:
        """The ONNX file of an ONNX model or bundle (None otherwise)."""
        if self.format == "onnx":
            return self.path if self.path.endswith(".onnx") else os.path.join(self.path, ONNX_FILE)
        if self.format in ("bundle", "detector-folder") and os.path.isfile(os.path.join(self.path, ONNX_FILE)):
            return os.path.join(self.path, ONNX_FILE)
        return None

    @property
    def saved_model(self) -> str | None:
        """The SavedModel folder of a SavedModel or bundle (None otherwise)."""
        if self.format == "savedmodel":
            return self.path
        candidate = os.path.join(self.path, SAVED_MODEL_DIR)
        if self.format in ("bundle", "detector-folder") and os.path.isfile(os.path.join(candidate, "saved_model.pb")):
            return candidate
        return None


def versions(folder) -> list:
    """Integer version numbers present under ``folder`` (sorted; empty when it does not exist)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        return []
    return sorted(int(entry) for entry in os.listdir(folder)
                  if entry.isdigit() and os.path.isdir(os.path.join(folder, entry)))


def package_root() -> str:
    """The installed ``upconv_tf`` package folder."""
    return os.path.dirname(os.path.abspath(__file__))


def pretrained_home() -> str | None:
    """Where the shipped pretrained models are: ``upconv_tf/_pretrained`` in an installed wheel, else the
    source checkout that holds the package (an editable install), else None."""
    inside = os.path.join(package_root(), PRETRAINED_DIR)
    if os.path.isdir(inside):
        return inside
    checkout = os.path.dirname(package_root())
    if os.path.isfile(os.path.join(checkout, "pyproject.toml")) and os.path.isdir(os.path.join(checkout, SAVED_MODELS)):
        return checkout
    return None


def models_homes() -> list:
    """The folders searched for model names and relative model paths, in order (module docstring)."""
    homes = [os.environ.get(HOME_VARIABLE), os.getcwd(), pretrained_home()]
    out = []
    for home in homes:
        if home and os.path.abspath(home) not in out:
            out.append(os.path.abspath(home))
    return out


def find(path, backend: str = "auto") -> str:
    """``path`` itself when it exists; else the first models home where ``path`` (relative) exists, or where a
    bare name exists as ``saved_models/NAME`` or ``export/NAME`` (``export/`` first for ``backend="onnx"``).
    Raises a one-line ``ArgumentError``."""
    path = os.fspath(path)
    if os.path.lexists(path) or os.path.isabs(path):
        if not os.path.lexists(path):
            raise ArgumentError("model", f"{path}: no such file or folder")
        return path
    bare = os.sep not in path.rstrip(os.sep) and (not os.altsep or os.altsep not in path)
    for home in models_homes():
        candidates = [os.path.join(home, path)]
        if bare:
            roots = (ONNX_ROOT, SAVED_MODELS) if backend == "onnx" else (SAVED_MODELS, ONNX_ROOT)
            candidates += [os.path.join(home, root, path) for root in roots]
        for candidate in candidates:
            if os.path.exists(candidate):
                return candidate
    searched = ", ".join(models_homes())
    raise ArgumentError("model", f"{path}: no such file or folder, and no model of that name in {searched} "
                                 f"(set {HOME_VARIABLE} to a folder holding {SAVED_MODELS}/ or {ONNX_ROOT}/)")


def _metadata_kind(folder) -> str | None:
    try:
        with open(os.path.join(folder, METADATA_FILE), encoding="utf-8") as handle:
            kind = json.load(handle).get("kind")
    except (OSError, ValueError, AttributeError):
        return None
    return kind if kind in KINDS else None


def keras_kind(path) -> str | None:
    """The kind of model a ``.keras`` archive holds, from its ``config.json`` (no Keras import): a SpectralGAN or a
    latent -> image model is a generator, a SpectralAutoencoder an auto-encoder, a SpectrumRefiner a refiner."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    name = config.get("class_name", "")
    known = {"SpectralGAN": "generator", "SpectralAutoencoder": "autoencoder", "SpectrumRefiner": "refiner"}
    if name in known:
        return known[name]
    layers = config.get("config", {}).get("layers") or []
    inputs = [layer for layer in layers if layer.get("class_name") == "InputLayer"]
    if len(inputs) == 1:
        shape = inputs[0].get("config", {}).get("batch_shape") or inputs[0].get("config", {}).get("batch_input_shape")
        if shape is not None:
            return "generator" if len(shape) == 2 else None
    return None


def _has(folder, *parts) -> bool:
    return os.path.exists(os.path.join(folder, *parts))


def _resolve_folder(folder, backend):
    """The ModelRef of an existing folder (None when it holds no model of a known form)."""
    if _has(folder, DETECTOR_FILE):
        return ModelRef(folder, "detector", "detector-folder")
    for name, kind in ((GENERATOR_FILE, "generator"), (AUTOENCODER_FILE, "autoencoder"), (REFINER_FILE, "refiner")):
        if _has(folder, name):
            return ModelRef(folder, kind, "training-run")
    if _has(folder, "saved_model.pb") and backend in ("auto", "savedmodel"):
        return ModelRef(folder, _metadata_kind(folder), "savedmodel")
    if _has(folder, ONNX_FILE) and _has(folder, SAVED_MODEL_DIR, "saved_model.pb"):
        return ModelRef(folder, _metadata_kind(folder), "bundle")
    if _has(folder, ONNX_FILE):
        return ModelRef(folder, _metadata_kind(folder), "onnx")
    if _has(folder, "saved_model.pb"):
        return ModelRef(folder, _metadata_kind(folder), "savedmodel")
    return None


def _unbuilt_head(folder) -> None:
    """Raise a one-line ``ArgumentError`` saying how to build it when ``folder`` only holds the metadata of a
    shipped head (an ``export/NAME/VERSION`` whose ONNX model is built where it is used)."""
    try:
        with open(os.path.join(folder, METADATA_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return
    head = data.get(HEAD_KEY) if isinstance(data, dict) else None
    if isinstance(head, dict):
        raise ArgumentError("model", f"{folder}: {data.get('name', 'this model')} version {data.get('version')} ships "
                                     f"as a head whose SavedModel and ONNX are built on your machine: run "
                                     f"`{head.get('build', 'upconv-tf export NAME')}` once (or use the scikit-learn "
                                     "backend, which needs no build)")


def resolve_model(path, backend: str = "auto", what: str = "model") -> ModelRef:
    """What ``path`` holds, as a :class:`ModelRef`.

    Args:
        path: a model file or folder, a relative path found in a models home, or a bare model name
            (``spectral-detector``: the highest version of ``saved_models/NAME`` or, failing that,
            ``export/NAME``). A folder of the repository layout (``saved_models/NAME``) means its highest version.
        backend: where a bare name is looked up first: ``"onnx"`` in ``export/``, anything else in
            ``saved_models/``; ``"onnx"`` also makes a folder holding both ``saved_model.pb`` and ``model.onnx``
            resolve to its ONNX model.
        what: what the caller looks for (``"detector"``, ``"generator"``...), for the error messages.

    Raises:
        ArgumentError: one line, ``model`` named: nothing there, or nothing a loader could use.
    """
    if backend not in BACKENDS:
        raise ArgumentError("backend", f"must be one of {BACKENDS}. Received: backend={backend!r}")
    given = os.fspath(path)
    found = find(given, backend)
    if os.path.isfile(found):
        if found.endswith(".onnx"):
            return ModelRef(found, _metadata_kind(os.path.dirname(found)), "onnx", given=given)
        if zipfile.is_zipfile(found):
            return ModelRef(found, keras_kind(found), "keras", given=given)
        if found.endswith(".keras"):
            raise ArgumentError("model", f"{found}: not a .keras model (a .keras file is a zip archive; this one is "
                                         "not)")
        raise ArgumentError("model", f"{found}: not a {what} file (expected a .keras or .onnx file, or a model "
                                     "folder)")
    if not os.path.isdir(found):
        raise ArgumentError("model", f"{found}: not a file or folder")
    ref = _resolve_folder(found, backend)
    if ref is not None:
        return dataclasses.replace(ref, given=given)
    found_versions = versions(found)
    if found_versions:
        version = found_versions[-1]
        ref = _resolve_folder(os.path.join(found, str(version)), backend)
        if ref is not None:
            return dataclasses.replace(ref, version=version, given=given)
        _unbuilt_head(os.path.join(found, str(version)))
    _unbuilt_head(found)
    raise ArgumentError("model", f"{found}: no {what} found (expected {DETECTOR_FILE}, {GENERATOR_FILE}, "
                                 f"{AUTOENCODER_FILE}, a .keras or .onnx file, a SavedModel, {ONNX_FILE}, or "
                                 f"{SAVED_MODELS}/NAME[/VERSION])")
