"""The one atomic writer of the package: files, JSON and whole folders appear complete or not at all.

Everything is written to a hidden temporary sibling of its destination, ``.NAME.tmp-XXXXXXXX`` (same folder,
so the final ``os.rename`` is atomic on POSIX file systems), and renamed into place only when complete. A
failure removes the temporary; a killed process can leave a hidden ``.NAME.tmp-*`` entry, which readers
ignore and which is safe to delete.

Results follow the process umask like any file the user creates: files ``0o666 & ~umask``, folders
``0o777 & ~umask``. ``tempfile.mkstemp`` / ``mkdtemp`` create 0600 / 0700 entries, which would otherwise keep
their private mode after the rename (a model server rarely runs as the trainer's user).

Imports nothing from the package: every floor may use it.

Example:

>>> write_json({"step": 3}, "run/state.json")  # doctest: +SKIP
>>> with atomic_file("run/model.keras", suffix=".keras") as temporary:  # doctest: +SKIP
...     model.save(temporary)
>>> with atomic_folder("saved_models/detector/3") as folder:  # doctest: +SKIP
...     tf.saved_model.save(module, folder)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile

__all__ = ["Staging", "atomic_file", "atomic_folder", "current_umask", "fix_mode", "write_bytes", "write_json",
           "write_text"]


def current_umask() -> int:
    """The process umask (read from /proc where possible: setting it to read it is not thread-safe)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fix_mode(path) -> None:
    """Give ``path`` the mode a plain ``open()`` / ``mkdir()`` would: 0o666 / 0o777 without the umask."""
    base = 0o777 if os.path.isdir(path) and not os.path.islink(path) else 0o666
    os.chmod(path, base & ~current_umask())


def _temporary_name(destination) -> str:
    """Prefix ``.NAME.tmp-`` of the temporaries beside ``destination``: hidden, never the destination."""
    return f".{os.path.basename(destination)}.tmp-"


def _check_destination(destination, folder: bool) -> str:
    destination = os.path.abspath(os.fspath(destination))
    if not folder and os.path.isdir(destination):
        raise IsADirectoryError(f"{destination}: is a folder; give a file name to write to")
    if folder and os.path.lexists(destination) and not os.path.isdir(destination):
        raise NotADirectoryError(f"{destination}: exists and is not a folder")
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    return destination


def _remove(path) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _aside_name(destination) -> str:
    """An unused hidden name beside ``destination`` to move an old version to during a replacement."""
    handle, name = tempfile.mkstemp(prefix=f".{os.path.basename(destination)}.old-", dir=os.path.dirname(destination))
    os.close(handle)
    os.remove(name)
    return name


class Staging:
    """Temporary files and folders for several destinations, moved into place together by :meth:`commit`.

    Use as a context manager: on an exception nothing is moved and the temporary entries are removed. Each
    entry gets its final mode (umask) before it is moved.

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
        destination = _check_destination(destination, folder=True)
        temporary = tempfile.mkdtemp(prefix=_temporary_name(destination), dir=os.path.dirname(destination))
        self._entries.append((temporary, destination))
        return temporary

    def file(self, destination, suffix: str = "") -> str:
        """A temporary file path (ending in ``suffix``) that :meth:`commit` will move to ``destination``."""
        destination = _check_destination(destination, folder=False)
        handle, temporary = tempfile.mkstemp(prefix=_temporary_name(destination), suffix=suffix,
                                             dir=os.path.dirname(destination))
        os.close(handle)
        self._entries.append((temporary, destination))
        return temporary

    def commit(self) -> None:
        """Move every staged entry into place, replacing what is there; all or nothing.

        A file replaces its destination in one ``os.rename`` (atomic on POSIX, like ``os.replace``). A folder cannot: the old one is renamed aside
        first and put back if the move fails. With several entries, every replaced destination is kept aside
        until all are in place, and restored if a later move fails.
        """
        for temporary, _ in self._entries:
            fix_mode(temporary)
        several = len(self._entries) > 1
        moved = []  # (destination, backup or None), in order
        try:
            for temporary, destination in self._entries:
                backup = None
                if os.path.lexists(destination):
                    if os.path.isdir(temporary):
                        backup = _aside_name(destination)
                        os.rename(destination, backup)
                    elif several:
                        backup = _aside_name(destination)
                        try:
                            os.link(destination, backup, follow_symlinks=False)
                        except OSError:  # no hard links here
                            shutil.copy2(destination, backup, follow_symlinks=False)
                try:
                    os.rename(temporary, destination)
                except BaseException:
                    if backup is not None and os.path.isdir(backup):
                        os.rename(backup, destination)
                    elif backup is not None:
                        os.remove(backup)
                    raise
                moved.append((destination, backup))
        except BaseException:
            for destination, backup in reversed(moved):
                if backup is None:
                    _remove(destination)  # it did not exist before
                elif os.path.isdir(backup):
                    _remove(destination)
                    os.rename(backup, destination)
                else:
                    os.rename(backup, destination)
            raise
        for _, backup in moved:
            if backup is not None:
                _remove(backup)
        self._entries = []

    def cleanup(self) -> None:
        """Remove whatever temporary entries are left (all of them when :meth:`commit` did not run)."""
        for temporary, _ in self._entries:
            _remove(temporary)
        self._entries = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False


@contextlib.contextmanager
def atomic_file(path, suffix: str = ""):
    """Yield a temporary file path beside ``path``; when the block ends without an exception the file gets
    its umask mode and is renamed to ``path``. ``suffix`` keeps the extension a writer insists on
    (``model.save`` needs ``.keras``, ``save_weights`` ``.weights.h5``)."""
    with Staging() as staging:
        temporary = staging.file(path, suffix)
        yield temporary
        staging.commit()


@contextlib.contextmanager
def atomic_folder(path):
    """Yield a new empty temporary folder beside ``path``; when the block ends without an exception it gets
    its umask mode and replaces ``path`` (an existing folder is moved aside first and removed after)."""
    with Staging() as staging:
        temporary = staging.folder(path)
        yield temporary
        staging.commit()


def write_bytes(data: bytes, path) -> str:
    """Write ``data`` to ``path`` atomically; returns the absolute path."""
    with atomic_file(path) as temporary:
        with open(temporary, "wb") as handle:
            handle.write(data)
    return os.path.abspath(os.fspath(path))


def write_text(text: str, path, encoding: str = "utf-8") -> str:
    """Write ``text`` to ``path`` atomically; returns the absolute path."""
    return write_bytes(text.encode(encoding), path)


def write_json(data, path, indent: int = 1) -> str:
    """Write ``data`` as JSON to ``path`` atomically; returns the absolute path.

    Raises:
        IsADirectoryError: ``path`` is an existing folder (nothing is written).
        TypeError / ValueError: ``data`` is not JSON-serialisable (nothing is written).
    """
    text = json.dumps(data, indent=indent)  # serialise first: a bad value leaves no file at all
    return write_text(text, path)
