"""The one image decoder and the one size policy, for files, bytes from any storage, and the scoring runtime.

:func:`decode_image` turns encoded image bytes (or an open binary file) into (H, W, 3) float32 RGB in [0, 1]:
EXIF orientation applied, alpha dropped, palette / gray / CMYK converted, 16-bit scaled by 65535. Every failure
is an :class:`~upconv_tf.errors.ImageLoadError` whose :class:`~upconv_tf.errors.Skipped` record has a stable
``code``. :func:`upconv_tf.datasets.load_image` (a path), the Beam scoring pipeline (bytes read through Beam's
FileSystems) and :func:`upconv_tf.runtime.preprocess` all decode here, so a file is read, or skipped for the
same reason, whichever of them reads it.

:func:`fit_to_size` applies a size policy to a decoded image:

* ``"center-crop"`` (default): the central ``size`` x ``size`` window at native resolution, so no
  resampling filter touches the spectrum; images smaller than ``size`` are reported and skipped.
* ``"resize"``: the largest central square, resized to ``size`` with a Lanczos filter.
* ``"none"``: images keep their size (no batching into one array).

Importing this module imports numpy and Pillow only (no TensorFlow): scoring workers use it.

Example:

>>> import io
>>> from PIL import Image
>>> buffer = io.BytesIO()
>>> Image.new("RGB", (300, 200), (255, 0, 0)).save(buffer, "PNG")
>>> image = decode_image(buffer.getvalue(), "red.png")
>>> image.shape, image.dtype, float(image[0, 0, 0])
((200, 300, 3), dtype('float32'), 1.0)
>>> fit_to_size(image, 192).shape
(192, 192, 3)
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from upconv_tf import errors as E
from upconv_tf.errors import ArgumentError, ImageLoadError

POLICIES = ("center-crop", "resize", "none")
# Decompression-bomb guard, checked from the header before any pixel is decoded.
MAX_PIXELS = 64_000_000


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


def first_line(error) -> str:
    """The first line of an exception's message (its type name when it has none)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def decode_image(data, name="image", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode one encoded image to (H, W, 3) float32 RGB in [0, 1].

    Args:
        data: the encoded bytes (``bytes``, ``bytearray``, ``memoryview``) or a binary file object open for
            reading (read as the decoder needs it, so an oversized image is refused from its header).
        name: what the image is called in errors (its path or URI).
        max_pixels: decompression-bomb guard: more pixels than this (from the header) is ``too-large``.

    Raises:
        ImageLoadError: with a :class:`~upconv_tf.errors.Skipped` code: ``empty`` (0 bytes), ``unreadable``
            (unknown or corrupt format), ``too-large``, ``bad-pixels`` (NaN or infinite values in a float
            image), ``permission``, ``decode-error`` (truncated, or any other decoder failure).
    """
    name = str(name)
    try:
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(data)
        start = data.tell() if data.seekable() else None
        if start is not None:
            if not data.read(1):
                raise ImageLoadError(name, E.EMPTY, "empty file (0 bytes)")
            data.seek(start)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(data) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageLoadError(name, E.TOO_LARGE, f"{width} x {height} px is over the {max_pixels:,}-pixel "
                                                            "limit (decompression bomb guard)")
                image.load()
                image = ImageOps.exif_transpose(image)
                array = _to_rgb_float(image)
        if not np.isfinite(array).all():  # float TIFFs can hold NaN / inf
            raise ImageLoadError(name, E.BAD_PIXELS, "holds NaN or infinite pixel values")
        return array
    except ImageLoadError:
        raise
    except PermissionError:
        raise ImageLoadError(name, E.PERMISSION, "permission denied") from None
    except UnidentifiedImageError:
        raise ImageLoadError(name, E.UNREADABLE, "not a readable image (unknown or corrupt format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageLoadError(name, E.TOO_LARGE, f"decompression bomb guard: {error}") from None
    except MemoryError:
        raise ImageLoadError(name, E.TOO_LARGE, "out of memory while decoding") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageLoadError(name, E.DECODE_ERROR, f"cannot decode: {first_line(error)}") from None
    except Exception as error:  # noqa: BLE001 - a decoder bug must not stop a folder of millions of files
        raise ImageLoadError(name, E.DECODE_ERROR,
                             f"cannot decode ({type(error).__name__}): {first_line(error)}") from None


def read_box(width: int, height: int, size, policy: str = "center-crop") -> tuple:
    """``(left, top, right, bottom)``: the part of a ``width`` x ``height`` image that :func:`fit_to_size` reads
    (then resized to ``size`` with ``policy="resize"``); the whole image with ``policy="none"``."""
    if policy == "none" or size is None:
        return 0, 0, width, height
    side = size if policy == "center-crop" else min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return left, top, left + side, top + side


def fit_to_size(image: np.ndarray, size: int, policy: str = "center-crop", path="image") -> np.ndarray:
    """Apply a size policy (module docstring) to one (H, W, 3) image; ``path`` names it in errors.

    Raises:
        ImageLoadError: ``too-small`` when ``policy="center-crop"`` and a side is below ``size``.
    """
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
