"""Sampling a generator: latent vectors in, images in [0, 1] out, and sample grids as one PNG.

The one place where "draw latents, run the generator, map its output range to [0, 1]" is written. It works on
a Keras generator (latent (N, d) -> images in [-1, 1], e.g. ``SpectralGAN.generator`` or
:func:`upconv_tf.models.load_generator_model`) and on the runners of :mod:`upconv_tf.runtime` (exported SavedModel
or ONNX generators, whose ``metadata.json`` gives the output range). Loading any of them from a path:
:func:`upconv_tf.runtime.load_generator`.

Latents are standard-normal float32 drawn from ``numpy.random.default_rng(seed)`` in one stream, so a
sample does not depend on the batch size: ``sample_images(g, 256, seed=0)[:16]`` equals
``sample_images(g, 16, seed=0)``.

Example:

>>> images = sample_images(generator, 64, seed=0)  # doctest: +SKIP
>>> save_grid(images, "samples.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np

from upconv_tf.errors import ArgumentError

MODEL_RANGE = (-1.0, 1.0)  # tanh output of the package's generators


def to_unit_range(images, value_range=MODEL_RANGE) -> np.ndarray:
    """Images in ``value_range`` (default the models' [-1, 1]) -> float32 in [0, 1], clipped."""
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ArgumentError("value_range", f"must be (low, high) with high > low. Received: value_range={value_range!r}")
    images = (np.asarray(images, np.float32) - low) / (high - low)
    return np.clip(images, 0.0, 1.0)


def quantize(images01) -> np.ndarray:
    """Round images in [0, 1] to 8 bits (what saving as PNG does), as float32 in [0, 1].

    Real images are decoded from 8-bit files: rounding generated ones the same way keeps quantisation from
    being a difference a detector could use.
    """
    return np.round(np.clip(np.asarray(images01, np.float32), 0.0, 1.0) * 255.0).astype(np.float32) / 255.0


def latents(count: int, latent_dim: int, seed=0) -> np.ndarray:
    """``count`` standard-normal latent vectors (float32), the same stream as every sampler here."""
    return np.random.default_rng(seed).standard_normal((int(count), int(latent_dim))).astype(np.float32)


def generator_interface(generator):
    """``(latent_dim, output_range, forward)`` of a Keras generator or an :mod:`upconv_tf.runtime` runner.

    Raises ``ValueError`` for a model that does not take latent vectors (e.g. an auto-encoder).
    """
    metadata = getattr(generator, "metadata", None)
    if isinstance(metadata, dict) and hasattr(generator, "generate"):  # a runner
        shape = metadata["input"]["shape"]
        source = getattr(generator, "source", "the model")
        if len(shape) != 2:
            raise ValueError(f"{source}: takes images of shape {shape}, not latent vectors (an auto-encoder "
                             "cannot be sampled)")
        value_range = tuple(metadata["output"].get("range") or MODEL_RANGE)
        return int(shape[1]), value_range, lambda z: np.asarray(generator.generate(z, batch_size=len(z)))
    shape = tuple(getattr(generator, "input_shape", ()) or ())
    if len(shape) != 2 or shape[1] is None:
        raise ValueError(f"{getattr(generator, 'name', type(generator).__name__)}: takes inputs of shape {shape}, "
                         "not latent vectors (N, latent_dim): not a generator")
    return int(shape[1]), MODEL_RANGE, lambda z: np.asarray(generator(z, training=False))


def iter_samples(generator, count: int, seed=0, batch_size: int = 64, quantize_8bit: bool = False):
    """Yield ``count`` images of ``generator`` in [0, 1] as float32 batches of at most ``batch_size``.

    The latents are one stream (:func:`latents`): batching does not change the images, and a large ``count``
    never sits in memory at once.
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ArgumentError("count", f"must be a positive integer. Received: count={count!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ArgumentError("batch_size", f"must be a positive integer. Received: batch_size={batch_size!r}")
    latent_dim, value_range, forward = generator_interface(generator)
    rng = np.random.default_rng(seed)
    for start in range(0, int(count), int(batch_size)):
        z = rng.standard_normal((min(batch_size, count - start), latent_dim)).astype(np.float32)
        images = to_unit_range(forward(z), value_range)
        yield quantize(images) if quantize_8bit else images


def sample_images(generator, count: int, seed=0, batch_size: int = 64, quantize_8bit: bool = False) -> np.ndarray:
    """``count`` images of ``generator`` in [0, 1], float32 (N, H, W, C).

    Args:
        generator: a Keras generator or a generator runner of :mod:`upconv_tf.runtime`.
        count: number of images.
        seed: latent seed (:func:`latents`).
        batch_size: images per forward pass (does not change the result).
        quantize_8bit: round to 8 bits like images read from PNG files (:func:`quantize`).
    """
    return np.concatenate(list(iter_samples(generator, count, seed, batch_size, quantize_8bit)))


def image_grid(images, columns: int | None = None) -> np.ndarray:
    """Tile images (N, H, W, C) in [0, 1] into one (rows H, columns W, C) image; empty cells are black.

    ``columns`` defaults to ``ceil(sqrt(N))`` (a square grid).
    """
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or not len(images):
        raise ArgumentError("images", f"must be a non-empty (N, H, W, C) array. Received: shape={images.shape}")
    count, height, width, channels = images.shape
    columns = int(columns or math.ceil(math.sqrt(count)))
    if columns < 1:
        raise ArgumentError("columns", f"must be a positive integer. Received: columns={columns!r}")
    rows = math.ceil(count / columns)
    cells = np.zeros((rows * columns, height, width, channels), np.float32)
    cells[:count] = images
    return cells.reshape(rows, columns, height, width, channels).transpose(0, 2, 1, 3, 4).reshape(
        rows * height, columns * width, channels)


def save_grid(images, path, columns: int | None = None) -> str:
    """Write :func:`image_grid` of ``images`` (in [0, 1]) as one PNG; returns ``path``."""
    from upconv_tf.datasets import save_png

    grid = image_grid(images, columns)
    save_png(grid[..., 0] if grid.shape[-1] == 1 else grid, path)
    return str(path)
