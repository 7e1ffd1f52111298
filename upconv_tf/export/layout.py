"""Where exported models go, and how they get there atomically.

Repository layout (TF Serving for SavedModels)::

    saved_models/<name>/<version>/   saved_model.pb, variables/, metadata.json
    export/<name>/<version>/         model.onnx, metadata.json

A bundle folder (``--out DIR`` of the CLI)::

    DIR/saved_model/                 saved_model.pb, variables/, metadata.json
    DIR/model.onnx, DIR/metadata.json

Everything is written into temporary folders next to its destination and moved into place only when the
whole export succeeded: a failed export leaves what was there before untouched and removes its temporary
files.
"""

from __future__ import annotations

import os
import shutil
import tempfile

SAVED_MODELS = "saved_models"
ONNX_ROOT = "export"
ONNX_FILE = "model.onnx"
SAVED_MODEL_DIR = "saved_model"


def versions(folder) -> list:
    """Integer version numbers present under ``folder`` (sorted; empty when it does not exist)."""
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        return []
    return sorted(int(entry) for entry in os.listdir(folder)
                  if entry.isdigit() and os.path.isdir(os.path.join(folder, entry)))


def next_version(root, name: str) -> int:
    """One more than the highest version of ``name`` in either half of the repository layout."""
    found = versions(os.path.join(root, SAVED_MODELS, name)) + versions(os.path.join(root, ONNX_ROOT, name))
    return max(found, default=0) + 1


def check_name(name: str) -> str:
    """A model name is one path component: letters, digits, '-', '_', '.'."""
    if (not isinstance(name, str) or not name or name in (".", "..")
            or not all(c.isalnum() or c in "-_." for c in name)):
        raise ValueError(f"`name` must be a non-empty string of letters, digits, '-', '_' or '.'. "
                         f"Received: name={name!r}")
    return name


def _remove(path) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _unused_name(destination, tag) -> str:
    handle, name = tempfile.mkstemp(prefix=f".{os.path.basename(destination)}.{tag}-",
                                    dir=os.path.dirname(destination))
    os.close(handle)
    os.remove(name)
    return name


class Staging:
    """Temporary folders for several destinations, moved into place together by :meth:`commit`.

    Use as a context manager: on an exception nothing is moved and the temporary folders are removed.

    Example:

    >>> with Staging() as staging:  # doctest: +SKIP
    ...     folder = staging.folder("saved_models/detector/3")
    ...     write_files(folder)
    ...     staging.commit()
    """

    def __init__(self):
        self._entries = []  # (temporary path, destination)

    def folder(self, destination) -> str:
        """A new empty temporary folder that :meth:`commit` will move to ``destination``."""
        destination = os.path.abspath(os.fspath(destination))
        parent = os.path.dirname(destination)
        os.makedirs(parent, exist_ok=True)
        temporary = tempfile.mkdtemp(prefix=f".{os.path.basename(destination)}.tmp-", dir=parent)
        self._entries.append((temporary, destination))
        return temporary

    def file(self, destination) -> str:
        """A temporary file path that :meth:`commit` will move to ``destination``."""
        destination = os.path.abspath(os.fspath(destination))
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(destination)}.tmp-",
                                             dir=os.path.dirname(destination))
        os.close(handle)
        self._entries.append((temporary, destination))
        return temporary

    def commit(self) -> None:
        """Move every staged item into place, replacing what is there; all or nothing.

        An existing destination is first renamed aside, and put back if a later move fails.
        """
        moved = []  # (destination, backup or None)
        try:
            for temporary, destination in self._entries:
                backup = None
                if os.path.lexists(destination):
                    backup = _unused_name(destination, "old")
                    os.rename(destination, backup)
                moved.append((destination, backup))
                os.rename(temporary, destination)
        except BaseException:
            for destination, backup in reversed(moved):
                _remove(destination)
                if backup is not None:
                    os.rename(backup, destination)
            raise
        for _, backup in moved:
            if backup is not None:
                _remove(backup)
        self._entries = []

    def cleanup(self) -> None:
        """Remove whatever temporary items are left (all of them when :meth:`commit` did not run)."""
        for temporary, _ in self._entries:
            _remove(temporary)
        self._entries = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False
