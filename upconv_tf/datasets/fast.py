"""Fast folder-to-batches reading: files decoded on parallel threads, same images and errors as the
foundation loader.

:func:`iter_batches_parallel` yields what :func:`upconv_tf.datasets.iter_batches` yields (``(images, paths)``,
(b, size, size, 3) float32 in [0, 1], center-cropped at native resolution, bad files appended to
``errors`` as ``(path, reason)``), with files decoded on a thread pool (both decoders release the GIL):

* 8-bit PNG in RGB, RGBA or L mode, without an eXIf chunk, within the decompression-bomb pixel limit and at
  least ``size`` px on each side, is decoded by ``tf.io.decode_png`` (libpng: 2-3x faster than PIL's PNG
  decoder at 1024 px, and bit-identical);
* every other file (JPEG, where PIL's libjpeg-turbo is the faster decoder, TIFF, WebP, 16-bit, palette,
  EXIF-rotated, too small, unreadable...), and any PNG TensorFlow fails on, goes through
  :func:`upconv_tf.datasets.load_image`, so it is loaded or reported exactly as the foundation loader does.

Batches keep the order of ``paths``; at most ``2 * batch_size`` files are in flight.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import os
import warnings

import numpy as np
from PIL import Image

from upconv_tf.datasets.folder import MAX_PIXELS, batch_pairs, iter_batches, iter_images
from upconv_tf.errors import ImageLoadError
from upconv_tf.spectral import check_batch_size

# PIL modes of the PNG files whose TensorFlow decoding equals the PIL loader's, bit for bit.
FAST_PNG_MODES = ("RGB", "RGBA", "L")


def fast_route(path, size: int, max_pixels: int = MAX_PIXELS) -> bool:
    """Whether TensorFlow decodes ``path`` to the foundation loader's result (module docstring).

    Reads the header only; any problem returns False (the file then gets the loader's verdict).
    """
    try:
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
                # PNG's getexif() would decode the pixels: any eXIf chunk before the pixels -> the loader
                return (image.format == "PNG" and image.mode in FAST_PNG_MODES and "exif" not in image.info
                        and width * height <= max_pixels and min(width, height) >= size)
    except Exception:  # noqa: BLE001 - the loader reports the reason
        return False


@functools.lru_cache(maxsize=16)
def _decoder(size: int):
    """A traced-once function: PNG file path -> (size, size, 3) uint8 center crop."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def decode(path):
        image = tf.io.decode_png(tf.io.read_file(path), channels=3)
        shape = tf.shape(image)
        top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
        return image[top:top + size, left:left + size]

    return decode


def _load(path, size, max_pixels):
    """One file -> ``(image, None)`` or ``(None, ImageLoadError)``."""
    if fast_route(path, size, max_pixels):
        try:
            crop = _decoder(int(size))(path).numpy()
            return crop.astype(np.float32) / 255.0, None  # in numpy, as the loader (TF may use 1/255)
        except Exception:  # noqa: BLE001 - TensorFlow could not decode it: the loader decides
            pass
    try:
        return next(iter_images([path], size, "center-crop", errors=None, max_pixels=max_pixels))[1], None
    except ImageLoadError as error:
        return None, error


def iter_batches_parallel(paths, size: int, batch_size: int = 64, policy: str = "center-crop", errors: list | None = None,
                  parallel: int | None = None, max_pixels: int = MAX_PIXELS):
    """Yield ``(images, paths)`` batches of (b, size, size, 3) float32 from ``paths``, decoded in parallel.

    Same output as :func:`upconv_tf.datasets.iter_batches` (module docstring): bad files go to ``errors``
    as :class:`~upconv_tf.errors.Skipped` records, or raise :class:`ImageLoadError` when ``errors`` is None.

    Args:
        paths: image files.
        size: side of the center crop, in px.
        batch_size: images per batch.
        policy: ``"center-crop"``; ``"resize"`` (PIL's Lanczos) is delegated to ``iter_batches``.
        errors: list receiving ``(path, reason)`` for every file that was skipped.
        parallel: decoding threads (default: the number of CPUs, at most 8).
        max_pixels: decompression-bomb guard, as :func:`upconv_tf.datasets.load_image`.

    Example:

    >>> for images, names in iter_batches_parallel(list_images("photos/"), 128, errors=problems):  # doctest: +SKIP
    ...     scores = detector.predict_proba(images)[:, 1]
    """
    check_batch_size(batch_size)
    if policy != "center-crop" or size is None:
        yield from iter_batches(paths, size, batch_size, policy, errors)
        return
    yield from batch_pairs(_decoded(paths, size, batch_size, parallel, max_pixels, errors), batch_size)


def _decoded(paths, size, batch_size, parallel, max_pixels, errors):
    """``(path, image)`` for every usable file, in order; bad files go to ``errors`` (or raise)."""
    for name, future in _in_order(paths, size, batch_size, parallel, max_pixels):
        image, error = future.result()
        if error is None:
            yield name, image
        elif errors is None:
            raise error
        else:
            errors.append(error.skipped)


def _in_order(paths, size, batch_size, parallel, max_pixels):
    """``(path, future)`` in the order of ``paths``, with at most ``2 * batch_size`` files in flight."""
    with concurrent.futures.ThreadPoolExecutor(parallel or min(8, os.cpu_count() or 1)) as pool:
        pending = collections.deque()
        for path in paths:
            path = os.fspath(path)
            pending.append((path, pool.submit(_load, path, size, max_pixels)))
            if len(pending) >= 2 * batch_size:
                yield pending.popleft()
        while pending:
            yield pending.popleft()
