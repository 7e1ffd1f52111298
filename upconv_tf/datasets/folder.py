"""Loading user images: one file, or a folder walked recursively, never stopping on a bad file.

Every image comes out as (H, W, 3) float32 RGB in [0, 1], decoded by :func:`upconv_tf.datasets.decode.decode_image`
(the one decoder: EXIF orientation applied, alpha dropped, palette / gray / CMYK converted, 16-bit scaled by
65535) and brought to ``size`` px by :func:`upconv_tf.datasets.decode.fit_to_size` (the one size policy):

* ``"center-crop"`` (default): the central ``size`` x ``size`` window at native resolution, so no
  resampling filter touches the spectrum; images smaller than ``size`` are reported and skipped.
* ``"resize"``: the largest central square, resized to ``size`` with a Lanczos filter.
* ``"none"``: images keep their size (no batching into one array).
"""

from __future__ import annotations

import dataclasses
import os
import stat
import warnings
from typing import Iterator

import numpy as np
from PIL import Image

from upconv_tf import errors as E
from upconv_tf.datasets.decode import MAX_PIXELS, POLICIES, decode_image, first_line, fit_to_size, read_box  # noqa: F401
from upconv_tf.errors import ArgumentError, ImageLoadError, Skipped

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


@dataclasses.dataclass
class FolderImages:
    """Images loaded from files, with the files that failed.

    Attributes:
        images: (N, size, size, 3) float32 array, or a list of arrays with ``policy="none"``.
        paths: the N file paths, in order.
        errors: a :class:`upconv_tf.errors.Skipped` record for every file that was skipped.
    """

    images: object
    paths: list
    errors: list


def _hidden(name) -> bool:
    return name.startswith(".")


def list_images(*roots, recursive: bool = True, errors: list | None = None) -> list:
    """Image files (by extension) under ``roots`` (files or folders), sorted, following folder order.

    With ``errors`` (a list), what was not listed is recorded there as :class:`~upconv_tf.errors.Skipped`
    records: a folder that cannot be listed (``unlistable``), a root folder holding no image file
    (``empty-folder``) and each other file in a walked folder (``not-an-image``, e.g. ``notes.txt``); hidden
    files and folders (``.DS_Store``, ``.git/``) stay silent. Without ``errors`` an unlistable folder is reported
    with a warning and the rest is silent. Raises ``ValueError`` when a root does not exist.
    """
    found = []

    def unlistable(error):
        reason = f"cannot list folder: {error.strerror or type(error).__name__}"
        if errors is None:
            warnings.warn(f"{error.filename}: {reason}", stacklevel=3)
        else:
            errors.append(Skipped(error.filename, E.UNLISTABLE, reason))

    for root in roots:
        root = os.fspath(root)
        if os.path.isfile(root) or os.path.islink(root) and not os.path.isdir(root):
            found.append(root)
            continue
        if not os.path.isdir(root):
            raise ArgumentError(root, "is not a file or folder.")
        before, failures = len(found), len(errors) if errors is not None else 0
        for folder, dirs, files in os.walk(root, onerror=unlistable, followlinks=False):
            dirs.sort()
            hidden = any(_hidden(part) for part in os.path.relpath(folder, root).split(os.sep) if part != ".")
            for name in sorted(files):
                if name.lower().endswith(IMAGE_EXTENSIONS):
                    found.append(os.path.join(folder, name))
                elif errors is not None and not hidden and not _hidden(name):
                    extension = os.path.splitext(name)[1]
                    errors.append(Skipped(os.path.join(folder, name), E.NOT_AN_IMAGE,
                                          f"not an image file ({extension or 'no extension'})"))
            if not recursive:
                break
        if errors is not None and len(found) == before and not any(
                item.code == E.UNLISTABLE for item in errors[failures:]):
            errors.append(Skipped(root, E.EMPTY_FOLDER, "no image file in this folder"
                                  + ("" if recursive else " (sub-folders not searched)")))
    return found


def _check_regular_file(path) -> None:
    """Refuse what is not a non-empty regular file before opening it (a FIFO would block forever)."""
    if os.path.islink(path) and not os.path.exists(path):
        raise ImageLoadError(path, E.NOT_A_FILE, "broken (or looping) symbolic link")
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
            "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise ImageLoadError(path, E.NOT_A_FILE, f"not a regular file ({kind})")
    if os.path.getsize(path) == 0:
        raise ImageLoadError(path, E.EMPTY, "empty file (0 bytes)")


def load_image(path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode one file to (H, W, 3) float32 RGB in [0, 1]; raise :class:`ImageLoadError` with the reason.

    Any failure (unreadable, not a regular file, empty, corrupt, truncated, over ``max_pixels``, NaN or
    infinite pixels in a float image, or an unexpected decoder error) becomes one ``ImageLoadError``. The
    bytes are decoded by :func:`upconv_tf.datasets.decode.decode_image`, streamed from the open file.
    """
    path = os.fspath(path)
    try:
        _check_regular_file(path)
        with open(path, "rb") as handle:
            return decode_image(handle, path, max_pixels)
    except ImageLoadError:
        raise
    except PermissionError:
        raise ImageLoadError(path, E.PERMISSION, "permission denied") from None
    except (OSError, ValueError) as error:  # e.g. gone since it was listed, a NUL byte in the name
        raise ImageLoadError(path, E.DECODE_ERROR, f"cannot decode: {first_line(error)}") from None
    except Exception as error:  # noqa: BLE001 - one bad file must not stop a folder of millions
        raise ImageLoadError(path, E.DECODE_ERROR,
                             f"cannot decode ({type(error).__name__}): {first_line(error)}") from None


def image_size(path) -> tuple:
    """``(width, height)`` of an image file as :func:`load_image` gives it (EXIF rotation applied), read from its
    header (no pixel is decoded)."""
    with Image.open(path) as image:
        width, height = image.size
        orientation = image.getexif().get(0x0112, 1)  # EXIF Orientation: 5-8 swap the sides
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def iter_images(paths, size=None, policy: str = "center-crop", errors: list | None = None,
                max_pixels: int = MAX_PIXELS) -> Iterator:
    """Yield ``(path, image)`` for every usable file; append a :class:`~upconv_tf.errors.Skipped` record to
    ``errors`` for the rest."""
    for path in paths:
        try:
            yield path, fit_to_size(load_image(path, max_pixels), size, policy, path)
        except ImageLoadError as error:
            if errors is None:
                raise
            errors.append(error.skipped)


def iter_batches(paths, size, batch_size: int = 64, policy: str = "center-crop", errors: list | None = None):
    """Yield ``(images, paths)`` batches of (b, size, size, 3) float32 from ``paths``; bad files go to
    ``errors``."""
    yield from batch_pairs(iter_images(paths, size, policy, errors), batch_size)


def batch_pairs(pairs, batch_size: int):
    """Group ``(path, image)`` pairs into ``(images, paths)`` batches of ``batch_size`` (the last may be
    smaller)."""
    images, names = [], []
    for path, image in pairs:
        images.append(image)
        names.append(path)
        if len(images) == batch_size:
            yield np.stack(images), names
            images, names = [], []
    if images:
        yield np.stack(images), names


def load_folder(*roots, size=None, policy: str = "center-crop", recursive: bool = True,
                limit: int | None = None) -> FolderImages:
    """Load every image under ``roots``; bad files are listed in ``errors``, never raised.

    Args:
        *roots: folders (walked recursively) or files.
        size: output side in px; None keeps native sizes (as ``policy="none"``).
        policy: ``"center-crop"``, ``"resize"`` or ``"none"`` (module docstring).
        recursive: walk sub-folders.
        limit: load at most this many files (after sorting).

    Returns:
        A :class:`FolderImages`.
    """
    errors = []
    paths = list_images(*roots, recursive=recursive, errors=errors)[:limit]
    pairs = list(iter_images(paths, size, policy if size else "none", errors))
    images = [image for _, image in pairs]
    if size and policy != "none":
        images = np.stack(images) if images else np.zeros((0, size, size, 3), np.float32)
    return FolderImages(images, [path for path, _ in pairs], errors)


def save_png(image: np.ndarray, path) -> None:
    """Write a float image in [0, 1] (H, W, 3) as an 8-bit PNG, creating folders."""
    os.makedirs(os.path.dirname(os.fspath(path)) or ".", exist_ok=True)
    Image.fromarray(np.clip(np.asarray(image) * 255.0 + 0.5, 0, 255).astype(np.uint8)).save(path)
