"""Loading user images: one file, or a folder walked recursively, never stopping on a bad file.

Every image comes out as (H, W, 3) float32 RGB in [0, 1]: EXIF orientation applied, alpha dropped,
palette / gray / CMYK converted, 16-bit scaled by 65535. Size policies for batching to ``size`` px:

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
from PIL import Image, ImageOps, UnidentifiedImageError

from upconv_tf import errors as E
from upconv_tf.errors import ArgumentError, ImageLoadError, Skipped

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
POLICIES = ("center-crop", "resize", "none")
# Decompression-bomb guard, checked from the header before any pixel is decoded.
MAX_PIXELS = 64_000_000


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


def _to_rgb_float(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        gray = np.asarray(image, dtype=np.float32) / 65535.0
        return np.repeat(gray[..., None], 3, axis=-1)
    if image.mode in ("I", "F"):
        gray = np.asarray(image, dtype=np.float32)
        scale = 65535.0 if image.mode == "I" and gray.max(initial=0) > 255 else (255.0 if image.mode == "I" else 1.0)
        return np.repeat(np.clip(gray / scale, 0, 1)[..., None], 3, axis=-1)
    if image.mode == "RGB":
        array = np.asarray(image)
    else:
        array = np.asarray(image.convert("RGBA" if "transparency" in image.info else image.mode).convert("RGB"))
    return array.astype(np.float32) / 255.0


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
    infinite pixels in a float image, or an unexpected decoder error) becomes one ``ImageLoadError``.
    """
    path = os.fspath(path)
    try:
        _check_regular_file(path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageLoadError(
                        path, E.TOO_LARGE, f"{width} x {height} px is over the {max_pixels:,}-pixel limit (decompression bomb guard)"
                    )
                image.load()
                image = ImageOps.exif_transpose(image)
                array = _to_rgb_float(image)
        if not np.isfinite(array).all():  # float TIFFs can hold NaN / inf
            raise ImageLoadError(path, E.BAD_PIXELS, "holds NaN or infinite pixel values")
        return array
    except ImageLoadError:
        raise
    except PermissionError:
        raise ImageLoadError(path, E.PERMISSION, "permission denied") from None
    except UnidentifiedImageError:
        raise ImageLoadError(path, E.UNREADABLE, "not a readable image (unknown or corrupt format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageLoadError(path, E.TOO_LARGE, f"decompression bomb guard: {error}") from None
    except MemoryError:
        raise ImageLoadError(path, E.TOO_LARGE, "out of memory while decoding") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageLoadError(path, E.DECODE_ERROR, f"cannot decode: {_first_line(error)}") from None
    except Exception as error:  # noqa: BLE001 - a decoder bug must not stop a folder of millions of files
        raise ImageLoadError(path, E.DECODE_ERROR, f"cannot decode ({type(error).__name__}): {_first_line(error)}") from None


def _first_line(error) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def read_box(width: int, height: int, size, policy: str = "center-crop") -> tuple:
    """``(left, top, right, bottom)``: the part of a ``width`` x ``height`` image that :func:`fit_to_size` reads
    (then resized to ``size`` with ``policy="resize"``); the whole image with ``policy="none"``."""
    if policy == "none" or size is None:
        return 0, 0, width, height
    side = size if policy == "center-crop" else min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return left, top, left + side, top + side


def image_size(path) -> tuple:
    """``(width, height)`` of an image file as :func:`load_image` gives it (EXIF rotation applied), read from its
    header (no pixel is decoded)."""
    with Image.open(path) as image:
        width, height = image.size
        orientation = image.getexif().get(0x0112, 1)  # EXIF Orientation: 5-8 swap the sides
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def fit_to_size(image: np.ndarray, size: int, policy: str = "center-crop", path="image") -> np.ndarray:
    """Apply a size policy (module docstring) to one (H, W, 3) image; :func:`read_box` says which part."""
    if policy not in POLICIES:
        raise ArgumentError("policy", f"must be one of {POLICIES}. Received: policy={policy!r}")
    if policy == "none" or size is None:
        return image
    height, width = image.shape[:2]
    if policy == "center-crop" and min(height, width) < size:
        raise ImageLoadError(path, E.TOO_SMALL, f"{width} x {height} px is smaller than the {size} px crop",
                             size=(width, height), crop=size)
    left, top, right, bottom = read_box(width, height, size, policy)
    if policy == "center-crop":
        return image[top:bottom, left:right]
    square = np.clip(image[top:bottom, left:right] * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(square).resize((size, size), Image.LANCZOS), np.float32) / 255.0


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
