"""Where exported models go, and how they get there atomically.

Repository layout (TF Serving for SavedModels)::

    saved_models/<name>/<version>/   saved_model.pb, variables/, metadata.json
    export/<name>/<version>/         model.onnx, metadata.json

A bundle folder (``--out DIR`` of the CLI)::

    DIR/saved_model/                 saved_model.pb, variables/, metadata.json
    DIR/model.onnx, DIR/metadata.json

Everything is written into temporary folders next to its destination and moved into place only when the
whole export succeeded (:class:`upconv_tf._atomic.Staging`): a failed export leaves what was there before
untouched and removes its temporary files; what lands follows the umask.
"""

from __future__ import annotations

import os

from upconv_tf import _atomic
from upconv_tf.errors import ArgumentError
from upconv_tf.resolve import HOME_VARIABLE, ONNX_FILE, ONNX_ROOT, SAVED_MODEL_DIR, SAVED_MODELS, versions  # noqa: F401


def next_version(root, name: str) -> int:
    """One more than the highest version of ``name`` in either half of the repository layout."""
    found = versions(os.path.join(root, SAVED_MODELS, name)) + versions(os.path.join(root, ONNX_ROOT, name))
    return max(found, default=0) + 1


def check_name(name: str) -> str:
    """A model name is one path component: letters, digits, '-', '_', '.'."""
    if (not isinstance(name, str) or not name or name in (".", "..")
            or not all(c.isalnum() or c in "-_." for c in name)):
        raise ArgumentError("name", f"must be a non-empty string of letters, digits, '-', '_' or '.'. "
                                    f"Received: name={name!r}")
    return name


# The one atomic writer (umask-respecting): re-exported here for the export code and its tests.
Staging = _atomic.Staging


def default_root() -> str:
    """Where an export without a bundle folder goes when no root is given: ``$UPCONV_TF_HOME`` (the first models
    home, so the model is then found by name from any folder), else the current folder when it already holds the
    repository layout (``saved_models/`` or ``export/``). Anywhere else an export would scatter two new folders
    into an arbitrary place: a one-line :class:`~upconv_tf.errors.ArgumentError` asks for a root instead."""
    home = os.environ.get(HOME_VARIABLE)
    if home:
        return home
    if os.path.isdir(SAVED_MODELS) or os.path.isdir(ONNX_ROOT):
        return "."
    raise ArgumentError("root", f"is needed: {os.getcwd()} holds no {SAVED_MODELS}/ or {ONNX_ROOT}/ (a repository "
                                f"layout); pass `root` (e.g. '.' to start one here) or `out` for one bundle folder, "
                                f"or set {HOME_VARIABLE} to the folder models are kept in", mentions=("out",))
