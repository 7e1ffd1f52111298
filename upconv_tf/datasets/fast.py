"""Fast folder-to-batches reading: files decoded in parallel by tf.data, same images and errors as the
foundation loader.

:func:`image_batches` yields what :func:`upconv_tf.datasets.iter_batches` yields (``(images, paths)``,
(b, size, size, 3) float32 in [0, 1], center-cropped at native resolution, bad files appended to
``errors`` as ``(path, reason)``), but decodes with ``tf.io.decode_png`` / ``tf.io.decode_jpeg`` on
tf.data's parallel threads. Each file's header is read first (PIL, no pixel decoding); only files whose
TensorFlow decoding is known to equal the foundation loader's take the fast route:

* PNG in RGB, RGBA or L mode, and baseline/progressive JPEG in RGB or L mode (decoded with
  ``dct_method="INTEGER_ACCURATE"``, libjpeg's ISLOW, as PIL), without an EXIF rotation;
* within the decompression-bomb pixel limit and at least ``size`` px on each side.

Every other file (TIFF, WebP, BMP, 16-bit, CMYK, palette, EXIF-rotated, too small, unreadable...), and
any file TensorFlow fails to decode, goes through :func:`upconv_tf.datasets.load_image`, so it is loaded
or reported exactly as the foundation loader does it. Batches keep the order of ``paths``.
"""

from __future__ import annotations

import functools
import os
import warnings

import numpy as np
from PIL import Image

from upconv_tf.datasets.folder import MAX_PIXELS, ImageLoadError, iter_batches, iter_images

# (PIL format, PIL mode) pairs whose TensorFlow decoding equals the PIL loader's, bit for bit.
FAST_FORMATS = {("PNG", "RGB"), ("PNG", "RGBA"), ("PNG", "L"), ("JPEG", "RGB"), ("JPEG", "L")}
_ORIENTATION = 0x0112


def fast_route(path, size: int, max_pixels: int = MAX_PIXELS) -> bool:
    """Whether ``path`` can be decoded by TensorFlow with the foundation loader's result (module docstring).

    Reads the header only; any problem returns False (the file then gets the loader's verdict).
    """
    try:
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
                if ((image.format, image.mode) not in FAST_FORMATS or width * height > max_pixels
                        or min(width, height) < size):
                    return False
                if image.format == "PNG":  # PNG's getexif() decodes the pixels: any eXIf chunk -> slow route
                    return "exif" not in image.info
                return image.getexif().get(_ORIENTATION, 1) == 1
    except Exception:  # noqa: BLE001 - the slow route reports the reason
        return False


@functools.lru_cache(maxsize=16)
def _decoder(size: int):
    """A traced-once function: file path -> (size, size, 3) float32 center crop in [0, 1]."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def decode(path):
        data = tf.io.read_file(path)
        image = tf.cond(
            tf.io.is_jpeg(data),
            lambda: tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE"),
            lambda: tf.io.decode_png(data, channels=3),
        )
        shape = tf.shape(image)
        top, left = (shape[0] - size) // 2, (shape[1] - size) // 2
        crop = tf.ensure_shape(image[top:top + size, left:left + size], [size, size, 3])
        return tf.cast(crop, tf.float32) / 255.0

    return decode


def _decoded(paths, indices, size, batch_size, parallel):
    """Iterate ``(index, image)`` over the fast-route files, in order; files TF fails on are skipped."""
    import tensorflow as tf

    if not indices:
        return
    decode = _decoder(int(size))
    dataset = tf.data.Dataset.from_tensor_slices(([paths[i] for i in indices], np.asarray(indices, np.int64)))
    dataset = dataset.map(lambda path, index: (decode(path), index),
                          num_parallel_calls=parallel or tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.ignore_errors().batch(batch_size).prefetch(1)
    for images, batch_indices in dataset.as_numpy_iterator():
        yield from zip(batch_indices.tolist(), images)


def image_batches(paths, size: int, batch_size: int = 64, policy: str = "center-crop", errors: list | None = None,
                  parallel: int | None = None, max_pixels: int = MAX_PIXELS):
    """Yield ``(images, paths)`` batches of (b, size, size, 3) float32 from ``paths``, decoded in parallel.

    Same output as :func:`upconv_tf.datasets.iter_batches` (module docstring): bad files go to ``errors``
    as ``(path, reason)``, or raise :class:`ImageLoadError` when ``errors`` is None.

    Args:
        paths: image files.
        size: side of the center crop, in px.
        batch_size: images per batch.
        policy: ``"center-crop"``; ``"resize"`` (PIL's Lanczos) is delegated to ``iter_batches``.
        errors: list receiving ``(path, reason)`` for every file that was skipped.
        parallel: decoding threads (default: tf.data's autotuning).
        max_pixels: decompression-bomb guard, as :func:`upconv_tf.datasets.load_image`.

    Example:

    >>> for images, names in image_batches(list_images("photos/"), 128, errors=problems):  # doctest: +SKIP
    ...     scores = detector.predict_proba(images)[:, 1]
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be an integer >= 1. Received: batch_size={batch_size!r}")
    if policy != "center-crop" or size is None:
        yield from iter_batches(paths, size, batch_size, policy, errors)
        return
    paths = [os.fspath(path) for path in paths]
    fast = [i for i, path in enumerate(paths) if fast_route(path, size, max_pixels)]
    decoded = _decoded(paths, fast, size, batch_size, parallel)
    pending = next(decoded, None)
    images, names = [], []
    for index, path in enumerate(paths):
        if pending is not None and pending[0] == index:
            image, pending = pending[1], next(decoded, None)
        else:  # slow route, or TensorFlow could not decode it: the foundation loader decides
            try:
                image = next(iter_images([path], size, policy, errors=None, max_pixels=max_pixels))[1]
            except ImageLoadError as error:
                if errors is None:
                    raise
                errors.append((error.path, error.reason))
                continue
        images.append(image)
        names.append(path)
        if len(images) == batch_size:
            yield np.stack(images), names
            images, names = [], []
    if images:
        yield np.stack(images), names
