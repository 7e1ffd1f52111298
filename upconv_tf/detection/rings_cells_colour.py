"""The ``"rings-cells-colour"`` features: ring and 2-D cell statistics of the luma and chroma power spectra.

The feature set measured best for generated images "in the wild" (resized, re-encoded,
unseen generators; docs in ``/work/notes/wild_report.md`` of the project): the 1-D spectrum alone (the paper's
azimuthal integral) loses where periodic up-sampling peaks sit and what the colour channels do. Definition,
for an ``H x W`` image (any size with sides of at least ``2 * spectral.CELL_GRID`` = 24 px):

* channels ``Y`` (ITU-R BT.601 luma, :data:`upconv_tf.spectral.GRAY_WEIGHTS`) and the chroma differences
  ``Cb' = B - Y``, ``Cr' = R - Y``, each minus its own mean; RGBA drops alpha; a gray (1-channel) image is the
  RGB image with three equal channels (so it gets the features of its RGB copy: chroma ``(1 - sum of the
  weights) * gray``, i.e. chroma spectra 80 dB below luma where they clear the floor);
* power ``P = |rfft2(c)|^2 / (H W)`` of each channel, and ``D = 10 log10(P / 1e-10 + 1)``: decibels above the
  floor ``1e-10`` (:func:`upconv_tf.spectral.db_above_floor`; ``10 log10(P + 1e-10) + 100``, a constant shift
  that every statistic below cancels or adds back);
* rings ``k = 1 .. min(H, W)//2 - 1``: the ``"centered"`` bins of :func:`upconv_tf.spectral.bin_layout`
  (rounded normalised radius; the DC ring dropped). Ring means over the full plane of ``P``, ``D`` and ``D^2``
  are averaged in pools of :data:`RING_POOL` consecutive rings (the last incomplete pool dropped);
  per pool: ``y_mean`` = mean ``D_Y`` minus its mean over the pools; ``y_gap`` = ``dB(mean P_Y) - mean D_Y``
  (Jensen's gap: about 2.5 dB for a noise-like ring, more where periodic peaks sit); ``y_std`` = the standard
  deviation of ``D_Y``; ``cb_rel``, ``cr_rel`` = mean ``D_C`` minus mean ``D_Y``; ``cb_gap``, ``cr_gap`` = the gap
  of each chroma channel;
* cells: the ``"cells"`` bin map (the plane folded over the signs of ``fy``, ``fx`` and cut into
  ``CELL_GRID x CELL_GRID`` cells of normalised frequency): per cell ``y_mean`` (mean ``D_Y`` minus its mean over
  the cells) and ``y_gap``, where the 2-D peaks of up-sampling grids show (axes and diagonals).

``7 * pools + 2 * CELL_GRID**2`` features (505 at 192 px, 31 pools), named by :func:`feature_names`.
The bins are summed with :func:`upconv_tf.spectral.reduction_plan` (gathers and sums, O(H W) memory); the
statistics after the sums are written once against ``ops`` (:func:`features_from_sums`) and evaluated in numpy
here (:func:`features`) and in TensorFlow by the exported graph (:mod:`upconv_tf.export.graph`).

Example:

>>> import numpy as np
>>> features(np.random.rand(2, 64, 64, 3)).shape
(2, 358)
>>> feature_names(64, 64)[:2], feature_names(64, 64)[-1]
(['y_mean_rings1-3', 'y_mean_rings4-6'], 'y_gap_cell11_11')
"""

from __future__ import annotations

import functools

import numpy as np

from upconv_tf import spectral
from upconv_tf.backends import NUMPY
from upconv_tf.errors import ArgumentError

KIND = "rings-cells-colour"
CHANNELS = ("y", "cb", "cr")
RING_POOL = 3
# The floor of the per-coefficient decibels, as the research measured them (10 log10(P + 1e-10)).
POWER_FLOOR = 1e-10
RING_MAP, CELL_MAP = "centered", "cells"
# Quantities summed per ring: P of each channel, D of each channel, D_Y^2; per cell: P_Y, D_Y.
RING_QUANTITIES, CELL_QUANTITIES = 7, 2


def min_side() -> int:
    """Smallest image side the features take (every cell of the cell grid must hold a coefficient)."""
    return spectral.MIN_SIZE[CELL_MAP]


def check_size(height, width) -> None:
    """Raise a one-line ``ValueError`` unless ``height x width`` images have features of this kind."""
    minimum = min_side()
    if height is None or width is None or int(height) < minimum or int(width) < minimum:
        raise ValueError(f"kind={KIND!r} needs images of at least {minimum} x {minimum} px (a "
                         f"{spectral.CELL_GRID} x {spectral.CELL_GRID} cell grid; the 'azimuthal' features take smaller "
                         f"images). Received: height={height}, width={width}")


def num_pools(height: int, width: int) -> int:
    """Ring pools of an ``height x width`` image: ``(min(H, W)//2 - 1) // RING_POOL``."""
    return (spectral.bin_layout(int(height), int(width), RING_MAP).num_bins - 1) // RING_POOL


def num_features(height: int, width: int) -> int:
    """Number of features of an ``height x width`` image (``7 * pools + 2 * CELL_GRID**2``)."""
    check_size(height, width)
    return RING_QUANTITIES * num_pools(height, width) + CELL_QUANTITIES * spectral.CELL_GRID ** 2


@functools.lru_cache(maxsize=16)
def feature_names(height: int, width: int) -> list:
    """Name of each feature, in order: ``<channel>_<statistic>_rings<first>-<last>`` (ring pools) and
    ``<channel>_<statistic>_cell<row>_<column>`` (cell grid: row = ``|fy|`` band, column = ``|fx|`` band)."""
    check_size(height, width)
    pools = [f"rings{RING_POOL * j + 1}-{RING_POOL * j + RING_POOL}" for j in range(num_pools(height, width))]
    cells = [f"cell{i}_{j}" for i in range(spectral.CELL_GRID) for j in range(spectral.CELL_GRID)]
    blocks = [("y", "mean", pools), ("y", "gap", pools), ("y", "std", pools), ("cb", "rel", pools),
              ("cr", "rel", pools), ("cb", "gap", pools), ("cr", "gap", pools), ("y", "mean", cells), ("y", "gap", cells)]
    return [f"{channel}_{statistic}_{where}" for channel, statistic, places in blocks for where in places]


def pool_radii(pools: int) -> np.ndarray:
    """Radius of each ring pool (its middle ring), in cycles per shorter side."""
    return RING_POOL * np.arange(int(pools), dtype=np.float64) + (RING_POOL + 1) / 2.0


def luma_profile(features):
    """``(radii, profiles)``: the ``y_mean`` block of (N, features) rows, the luma 1-D spectrum in dB (minus its
    mean), with the radius of each pool. Used to tell a "generated" k-means cluster by its spectrum."""
    features = np.asarray(features, np.float64)
    pools = (features.shape[-1] - CELL_QUANTITIES * spectral.CELL_GRID ** 2) // RING_QUANTITIES
    return pool_radii(pools), features[..., :pools]


def channel_matrix(channels: int) -> np.ndarray:
    """(channels, 3) float64: pixel values -> (Y, Cb', Cr') with ``Cb' = B - Y``, ``Cr' = R - Y``.

    RGBA gets a zero row for alpha; a gray pixel ``g`` is ``(g, g, g)``, i.e. the rows of the RGB matrix summed.
    """
    weights = np.asarray(spectral.GRAY_WEIGHTS, np.float64)
    rgb = np.stack([weights, np.eye(3)[2] - weights, np.eye(3)[0] - weights], axis=1)  # rows R, G, B
    if channels == 3:
        return rgb
    if channels == 4:
        return np.vstack([rgb, np.zeros((1, 3))])
    if channels == 1:
        return rgb.sum(axis=0, keepdims=True)
    raise ValueError(f"Images must have 1, 3 or 4 channels. Received: channels={channels}")


@functools.lru_cache(maxsize=16)
def _inverse_counts(height: int, width: int):
    """1 / full-plane count of every ring (DC dropped) and of every cell."""
    rings = spectral.bin_layout(height, width, RING_MAP).counts[1:]
    cells = spectral.bin_layout(height, width, CELL_MAP).counts
    return 1.0 / rings, 1.0 / cells


def _like(array, x):
    """``array`` as a constant of ``x``'s dtype (a numpy array: TensorFlow embeds it as a graph constant)."""
    return np.asarray(array, getattr(x.dtype, "as_numpy_dtype", x.dtype))


def features_from_sums(ring_sums, cell_sums, height: int, width: int, ops=NUMPY):
    """The features from bin sums, in numpy or (``ops=backends.tensorflow()``) TensorFlow.

    Args:
        ring_sums: ``(N, 7, rings)`` sums over the ``"centered"`` rings (DC ring included) of ``P_Y, P_Cb, P_Cr,
            D_Y, D_Cb, D_Cr, D_Y^2`` (module docstring), each coefficient with its Hermitian multiplicity.
        cell_sums: ``(N, 2, CELL_GRID**2)`` sums over the cells of ``P_Y, D_Y``.
        height, width: the image size.

    Returns:
        ``(N, num_features(height, width))`` features in the dtype of the sums.
    """
    inverse_rings, inverse_cells = _inverse_counts(int(height), int(width))
    pools = num_pools(height, width)
    means = ring_sums[:, :, 1:RING_POOL * pools + 1] * _like(inverse_rings[:RING_POOL * pools], ring_sums)
    pooled = ops.mean(ops.reshape(means, [-1, RING_QUANTITIES, pools, RING_POOL]), axis=-1)
    power, decibels, luma = pooled[:, 0:3], pooled[:, 3:6], pooled[:, 3]
    gap = spectral.db_above_floor(power, POWER_FLOOR, ops) - decibels  # (N, 3 channels, pools)
    std = ops.sqrt(ops.maximum(pooled[:, 6] - ops.square(luma), 0.0))
    cells = cell_sums * _like(inverse_cells, cell_sums)
    cell_luma = cells[:, 1]
    return ops.concat([
        luma - ops.mean(luma, axis=1, keepdims=True), gap[:, 0], std,
        decibels[:, 1] - luma, decibels[:, 2] - luma, gap[:, 1], gap[:, 2],
        cell_luma - ops.mean(cell_luma, axis=1, keepdims=True),
        spectral.db_above_floor(cells[:, 0], POWER_FLOOR, ops) - cell_luma,
    ], 1)


def features(images) -> np.ndarray:
    """(N, H, W, C) images, C in {1, 3, 4}, any value range -> (N, num_features(H, W)) float64 features."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ArgumentError("images", f"must be (N, H, W, C). Received: shape={images.shape}")
    n, height, width, channels = images.shape
    check_size(height, width)
    planes = images.astype(np.float64) @ channel_matrix(channels)  # (N, H, W, 3)
    planes = np.moveaxis(planes, -1, 1)
    planes = planes - planes.mean(axis=(2, 3), keepdims=True)
    power = np.square(np.abs(np.fft.rfft2(planes))).reshape(n, 3, -1) * (1.0 / (height * width))
    decibels = spectral.db_above_floor(power, POWER_FLOOR)
    ring_plan = spectral.reduction_plan(height, width, RING_MAP)
    cell_plan = spectral.reduction_plan(height, width, CELL_MAP)
    ring_values = np.concatenate([power, decibels, np.square(decibels[:, :1])], axis=1)
    cell_values = np.concatenate([power[:, :1], decibels[:, :1]], axis=1)
    ring_sums = spectral.bin_sums(ring_values * ring_plan.weights.ravel(), ring_plan)
    cell_sums = spectral.bin_sums(cell_values * cell_plan.weights.ravel(), cell_plan)
    return features_from_sums(ring_sums, cell_sums, height, width)
