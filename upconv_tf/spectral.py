"""The azimuthal integral (1-D power spectrum) in plain numpy, and the bin layout shared with the layer.

Two modes, one definition of the bins (:func:`bin_layout`) used by this module and by
:class:`upconv_tf.layers.AzimuthalIntegral`:

* ``"centered"`` (default), eq. (2) of Durall et al. (CVPR 2020): the ring mean of the power
  ``|F|^2 / (H*W)`` for rings ``k = 0 .. min(H, W)//2 - 1`` centred on the zero frequency, returned as log
  power in decibels, ``10 * log10(ring_mean + 1e-12)``. Frequencies are measured in units of the shorter
  side (``rho = min(H, W) * sqrt((fy/H)^2 + (fx/W)^2)``) so non-square images get circular rings in
  normalised frequency; bin ``k`` holds ``k - 0.5 <= rho < k + 0.5`` (bin 0 is the DC term alone
  unless one side is over twice the other: then the first long-side frequencies share it).
* ``"reference"``: the published UpConv / DeepFakeDetection numpy pipeline: ``20 * ln(|F| + 1e-8)`` on the
  fft-shifted spectrum, integer radii around ``((W-1)/2, (H-1)/2)``, first and last radius dropped
  (32 px -> 20 bins, 64 -> 43, 128 -> 88, 256 -> 179, 1024 -> 722, 218 x 178 -> 139).

Images are (..., H, W, C) with C in {1, 3, 4} (alpha dropped) or (H, W) gray; grayscale uses the ITU-R
BT.601 weights of the reference (0.2989, 0.5870, 0.1140). Only the real FFT half plane is computed:
each half-plane coefficient also stands for its Hermitian mirror.

This module is the one definition of the spectral vocabulary the rest of the package uses: the bins
(:func:`bin_layout`, for every bin map of :data:`BIN_MAPS`: the two azimuthal modes and the folded
``"cells"`` grid of the 2-D features), how to sum coefficients into them without a dense matrix
(:func:`reduction_plan`, :func:`bin_sums`), the radius each bin stands for (:func:`bin_radii`), the unit of each
mode's profile (:data:`LOG10_POWER_PER_UNIT`), the conversion to decibels (:func:`power_to_db`,
:func:`db_above_floor`) and the 2-D log power spectrum (:func:`log_power_spectrum_2d`); it also holds the one
array batcher (:func:`array_batches`).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from upconv_tf.backends import NUMPY
from upconv_tf.errors import ArgumentError

MODES = ("centered", "reference")
# Side of the folded cell grid: the half-plane frequencies |fy| < H/2, |fx| < W/2 cut into CELL_GRID x CELL_GRID
# cells of equal normalised frequency (the 2-D features of ``upconv_tf.detection``).
CELL_GRID = 12
# Every bin map :func:`bin_layout` knows: the azimuthal-integral modes (rings) and the folded cell grid.
BIN_MAPS = MODES + ("cells",)
NORMALIZATIONS = (None, "minmax", "first")
GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)
REFERENCE_EPSILON = 1e-8
POWER_EPSILON = 1e-12
# Smallest side for which each mode yields at least two bins (reference: 4 x 4 and 5 x 5 give one), and for
# which every cell of the cell grid holds a coefficient.
MIN_SIZE = {"centered": 4, "reference": 6, "cells": 2 * CELL_GRID}
# Radius of bin 0: "centered" bin k is ring k (bin 0 = DC), "reference" drops radius 0 (bin k = radius k + 1).
FIRST_RADIUS = {"centered": 0, "reference": 1}
# log10 of the power per unit of a profile: "centered" is 10 log10(P) (dB), "reference" 20 ln|F| = 10 ln(P).
LOG10_POWER_PER_UNIT = {"centered": 0.1, "reference": 0.1 / np.log(10.0)}
# 10 log10(P) = DB_PER_LN * ln(P): one formula for every array library (numpy has log10, TensorFlow not).
DB_PER_LN = 10.0 / np.log(10.0)


@dataclasses.dataclass(frozen=True)
class BinLayout:
    """Which bin (azimuthal ring, or cell of the cell grid) every real-FFT coefficient falls into.

    Attributes:
        height, width: image size.
        mode: the bin map, one of :data:`BIN_MAPS` (``"centered"``, ``"reference"`` or ``"cells"``).
        num_bins: length of the profile.
        ids: int32 array of length ``H * (W//2 + 1) + M``: the bin of each half-plane coefficient
            (row-major), followed by the bins of the ``M`` mirrored coefficients; ``num_bins`` marks a
            coefficient that belongs to no bin.
        sources: int32 array, same length as ``ids``: the flat half-plane index each entry reads.
        counts: float64 array ``(num_bins,)``: how many full-plane coefficients each bin averages.
    """

    height: int
    width: int
    mode: str
    num_bins: int
    ids: np.ndarray
    sources: np.ndarray
    counts: np.ndarray


def _check_mode(mode):
    if mode not in MODES:
        raise ArgumentError("mode", f"must be one of {MODES}. Received: mode={mode!r}")


def _check_normalize(normalize):
    if normalize not in NORMALIZATIONS:
        raise ArgumentError("normalize", f"must be one of {NORMALIZATIONS}. Received: normalize={normalize!r}")


def check_size(height, width, mode):
    """Raise ``ValueError`` when ``height`` x ``width`` is too small for ``mode`` (an azimuthal mode)."""
    _check_mode(mode)
    _check_layout_size(height, width, mode)


def _check_layout_size(height, width, mode):
    minimum = MIN_SIZE[mode]
    if height is None or width is None:
        raise ValueError(
            f"The azimuthal integral needs a static image size. Received: height={height}, width={width}"
        )
    if int(height) < minimum or int(width) < minimum:
        raise ValueError(
            f"Images must be at least {minimum} x {minimum} px for mode={mode!r}. "
            f"Received: height={height}, width={width}"
        )


def num_bins(height: int, width: int, mode: str = "centered") -> int:
    """Length of the profile for an image of ``height`` x ``width`` px."""
    return bin_layout(height, width, mode).num_bins


def _full_plane_bins(height, width, mode):
    """Bin index of every coefficient of the unshifted full FFT plane, and the bin count (bin maps of
    :data:`BIN_MAPS`; a coefficient in no bin gets the bin count)."""
    fy = np.fft.fftfreq(height) * height
    fx = np.fft.fftfreq(width) * width
    if mode == "cells":
        # Folded over the signs of fy and fx; cell (i, j) holds i <= CELL_GRID |fy| / (H/2) < i + 1 (and j for fx),
        # in integers. The Nyquist row and column (|f| = N/2, even sides) belong to no cell.
        ay, ax = (np.abs(np.rint(f)).astype(np.int64) for f in (fy[:, None], fx[None, :]))
        count = CELL_GRID * CELL_GRID
        bins = (2 * CELL_GRID * ay) // height * CELL_GRID + (2 * CELL_GRID * ax) // width
        bins[(2 * ay >= height) | (2 * ax >= width)] = count
        return bins, count
    if mode == "centered":
        short = min(height, width)
        rho = short * np.hypot((fy / height)[:, None], (fx / width)[None, :])
        bins = np.floor(rho + 0.5).astype(np.int64)
        count = short // 2
        bins[bins >= count] = count
        return bins, count
    # Reference: fftshift puts frequency f at index f + n//2; the centre sits at (n-1)/2.
    y = fy + height // 2 - (height - 1) / 2.0
    x = fx + width // 2 - (width - 1) / 2.0
    radius = np.hypot(x[None, :], y[:, None]).astype(np.int64)
    # The published code drops the first and last *occupied* radius, not fixed values.
    unique, rank = np.unique(radius, return_inverse=True)
    rank = rank.reshape(radius.shape)
    count = len(unique) - 2
    bins = rank - 1
    bins[(rank == 0) | (rank == len(unique) - 1)] = count
    return bins, count


def bin_radii(num_bins: int, mode: str = "centered") -> np.ndarray:
    """Radius of each bin of a native-length profile, in cycles per image side (``"centered"``: per shorter side).

    ``"centered"``: bin ``k`` is the ring of radius ``k`` (bin 0 the DC term). ``"reference"``: bin ``k`` is
    the integer radius ``k + 1`` (the published pipeline drops radius 0). A profile resampled to another length
    (``num_bins=`` of :func:`azimuthal_integral`) spans the same radii, linearly.

    >>> bin_radii(4, "reference")
    array([1., 2., 3., 4.])
    """
    _check_mode(mode)
    return np.arange(int(num_bins), dtype=np.float64) + FIRST_RADIUS[mode]


def power_to_db(power, ops=NUMPY):
    """``10 log10(power + POWER_EPSILON)``: power to decibels, in numpy or (``ops=backends.tensorflow()``)
    TensorFlow."""
    return DB_PER_LN * ops.log(power + POWER_EPSILON)


def db_above_floor(power, floor: float, ops=NUMPY):
    """``10 log10(power / floor + 1)``: decibels above the floor, ``10 log10(power + floor) - 10 log10(floor)``.

    Exactly 0 at zero power (a constant image, an exactly cancelled Nyquist row), so that differences and
    variances of such values stay exact; written against ``ops`` like :func:`power_to_db`.
    """
    return DB_PER_LN * ops.log(power * (1.0 / floor) + 1.0)


def gray_log_power_spectrum_2d(gray, ops=NUMPY):
    """Centred 2-D log power spectrum in dB, ``10 log10(|F|^2 / (H W) + 1e-12)``, of (..., H, W) gray images
    in numpy or (``ops=backends.tensorflow()``) TensorFlow; the zero frequency lands at ``(H // 2, W // 2)``."""
    height, width = gray.shape[-2], gray.shape[-1]
    return ops.fftshift(power_to_db(ops.fft2_power(gray) / float(height * width), ops), axes=(-2, -1))


def log_power_spectrum_2d(images) -> np.ndarray:
    """:func:`gray_log_power_spectrum_2d` of images as :func:`to_gray` takes them: (H, W) or (..., H, W, C)
    -> (..., H, W) float64."""
    return gray_log_power_spectrum_2d(to_gray(images))


def _check_bin_map(mode):
    if mode not in BIN_MAPS:
        raise ArgumentError("mode", f"must be one of {BIN_MAPS}. Received: mode={mode!r}")


@functools.lru_cache(maxsize=64)
def bin_layout(height: int, width: int, mode: str = "centered") -> BinLayout:
    """Compute (and cache) the :class:`BinLayout` for one image size and bin map.

    ``mode`` is an azimuthal mode (``"centered"``: rings of rounded normalised radius, bin 0 the DC term;
    ``"reference"``: the published integer radii) or ``"cells"``: the half plane folded over the signs of
    ``fy`` and ``fx`` and cut into ``CELL_GRID x CELL_GRID`` cells of equal normalised frequency, cell
    ``i * CELL_GRID + j`` holding ``i <= CELL_GRID |fy| / (H/2) < i + 1`` and ``j <= CELL_GRID |fx| / (W/2) < j + 1``
    (Nyquist row and column excluded; sides of at least ``2 * CELL_GRID``).

    >>> bin_layout(32, 32, "cells").num_bins, bin_layout(32, 32, "cells").counts[:3].tolist()
    (144, [1.0, 2.0, 2.0])
    """
    _check_bin_map(mode)
    _check_layout_size(height, width, mode)
    height, width = int(height), int(width)
    full, count = _full_plane_bins(height, width, mode)
    half_width = width // 2 + 1
    half_ids = full[:, :half_width]
    # Columns 1 .. ceil(W/2)-1 have a Hermitian mirror ((-i) % H, W - j) outside the half plane.
    mirror_cols = np.arange(1, (width + 1) // 2)
    rows = np.arange(height)
    mirror_ids = full[(-rows) % height][:, width - mirror_cols]
    flat = np.arange(height * half_width).reshape(height, half_width)
    ids = np.concatenate([half_ids.ravel(), mirror_ids.ravel()]).astype(np.int32)
    sources = np.concatenate([flat.ravel(), flat[:, mirror_cols].ravel()]).astype(np.int32)
    counts = np.bincount(ids, minlength=count + 1)[:count].astype(np.float64)
    for array in (ids, sources, counts):
        array.setflags(write=False)
    return BinLayout(height, width, mode, count, ids, sources, counts)


@dataclasses.dataclass(frozen=True)
class ReductionPlan:
    """How to sum the half-plane coefficients into bins with gathers and sums only (no scatter, no
    dense bin matrix); built from :func:`bin_layout` (any bin map) by :func:`reduction_plan`. Memory is
    O(H * W): about one index per half-plane coefficient.

    Each half-plane coefficient enters each bin it belongs to once, weighted by how many full-plane
    coefficients it stands for there (2 when its Hermitian mirror falls in the same bin, as always in the
    centered mode and the cell grid). The entries of a bin are cut into ``chunk``-long runs; the last, shorter run of each
    bin is kept as single entries. Summing is then two gathers and two sums: ``chunk_sources`` -> run sums,
    then ``bin_grid`` over ``[run sums, rest entries, 0]`` -> bin sums.

    Attributes:
        weights: (H, W//2 + 1) float64 multiplicity of each coefficient (0 outside every bin).
        sources: (N,) int32 half-plane flat index of each entry, sorted by bin.
        starts: (num_bins,) int64 index of each bin's first entry in ``sources``.
        chunk_sources: (runs, chunk) int32 half-plane indices, one row per full run of one bin.
        rest_sources: (rest,) int32 half-plane indices of the entries left over.
        bin_grid: (num_bins, parts) int32 rows of ``[run sums, rest entries, 0]`` that make each bin, padded
            with ``runs + rest`` (the zero row).
    """

    weights: np.ndarray
    sources: np.ndarray
    starts: np.ndarray
    chunk_sources: np.ndarray
    rest_sources: np.ndarray
    bin_grid: np.ndarray


@functools.lru_cache(maxsize=64)
def reduction_plan(height: int, width: int, mode: str = "centered", chunk: int = 16) -> ReductionPlan:
    """Compute (and cache) the :class:`ReductionPlan` of :func:`bin_layout` ``(height, width, mode)``, ``mode``
    any bin map of :data:`BIN_MAPS`. Every bin must hold a coefficient (true at the sizes :func:`bin_layout`
    accepts)."""
    layout = bin_layout(height, width, mode)
    half = layout.height * (layout.width // 2 + 1)
    keep = layout.ids < layout.num_bins
    keys, multiplicity = np.unique(layout.ids[keep].astype(np.int64) * half + layout.sources[keep],
                                   return_counts=True)  # sorted by bin, then by source
    ids, sources = (keys // half).astype(np.int32), (keys % half).astype(np.int32)
    weights = np.zeros(half)
    weights[sources] = multiplicity
    # A coefficient has one entry of weight 2 (mirror in the same bin) or entries of weight 1 only.
    assert np.array_equal(weights[sources], multiplicity)
    sizes = np.bincount(ids, minlength=layout.num_bins)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    in_run = np.arange(len(ids)) - starts[ids] < (sizes // chunk * chunk)[ids]
    part_bins = np.concatenate([ids[in_run][::chunk], ids[~in_run]])
    order = np.argsort(part_bins, kind="stable")
    part_sizes = np.bincount(part_bins, minlength=layout.num_bins)
    part_starts = np.concatenate([[0], np.cumsum(part_sizes)[:-1]])
    grid = np.full((layout.num_bins, part_sizes.max()), len(part_bins), np.int32)
    grid[part_bins[order], np.arange(len(order)) - part_starts[part_bins[order]]] = order
    plan = ReductionPlan(weights.reshape(layout.height, -1), sources, starts,
                         sources[in_run].reshape(-1, chunk), sources[~in_run], grid)
    for array in dataclasses.astuple(plan):
        array.setflags(write=False)
    return plan


def bin_sums(weighted: np.ndarray, plan: ReductionPlan) -> np.ndarray:
    """(..., H * (W//2 + 1)) half-plane values already multiplied by ``plan.weights`` -> (..., bins) bin sums.

    The numpy twin of the TensorFlow gathers in :mod:`upconv_tf.layers.azimuthal` (same plan, same sums).
    """
    return np.add.reduceat(weighted[..., plan.sources], plan.starts, axis=-1)


@functools.lru_cache(maxsize=64)
def resample_plan(length_in: int, length_out: int):
    """Linear-interpolation plan from ``length_in`` to ``length_out`` points over the same span.

    Returns ``(lower, upper, weight)`` so that ``out = p[lower] * (1 - weight) + p[upper] * weight``.
    """
    if int(length_out) < 2:
        raise ArgumentError("num_bins", f"must be at least 2. Received: num_bins={length_out}")
    position = np.linspace(0.0, length_in - 1, int(length_out))
    lower = np.minimum(np.floor(position).astype(np.int32), length_in - 1)
    upper = np.minimum(lower + 1, length_in - 1)
    weight = (position - lower).astype(np.float32)
    return lower, upper, weight


def check_num_bins(num_bins) -> None:
    """Raise ``ValueError`` unless ``num_bins`` is None or an integer >= 2."""
    if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer))
                                 or num_bins < 2):
        raise ArgumentError("num_bins", f"must be None or an integer >= 2. Received: num_bins={num_bins!r}")


def to_gray(images: np.ndarray) -> np.ndarray:
    """(..., H, W, C) with C in {1, 3, 4} -> (..., H, W) float64 luma (alpha dropped); (H, W) passes."""
    images = np.asarray(images)
    if images.dtype.kind not in "biuf":
        raise ArgumentError("images", f"must hold real numbers. Received: dtype={images.dtype}")
    if images.ndim == 2:
        return images.astype(np.float64)
    if images.ndim < 3:
        raise ArgumentError("images", f"must be (H, W) or (..., H, W, C). Received: shape={images.shape}")
    channels = images.shape[-1]
    if channels == 1:
        return images[..., 0].astype(np.float64)
    if channels in (3, 4):
        # A weighted sum of channel planes: ~20x faster than a (..., 3) @ (3,) matmul.
        red, green, blue = (images[..., c].astype(np.float64) for c in range(3))
        return GRAY_WEIGHTS[0] * red + GRAY_WEIGHTS[1] * green + GRAY_WEIGHTS[2] * blue
    raise ArgumentError("images", f"must have 1, 3 or 4 channels. Received: shape={images.shape}")


def _check_finite(name, array):
    if not np.all(np.isfinite(array)):
        raise ArgumentError(name, f"holds NaN or infinite values. Received: shape={np.shape(array)}")


def profile_from_gray(gray: np.ndarray, mode: str = "centered") -> np.ndarray:
    """Azimuthal integral of (..., H, W) gray images, before resampling and normalisation."""
    height, width = gray.shape[-2:]
    layout = bin_layout(height, width, mode)
    plan = reduction_plan(height, width, mode)
    lead = gray.shape[:-2]
    spectrum = np.abs(np.fft.rfft2(gray.reshape((-1, height, width))))
    # The bin multiplicities ride on the scale factor each mode applies anyway.
    if mode == "reference":
        values = np.log(spectrum + REFERENCE_EPSILON) * (20.0 * plan.weights)
    else:
        values = np.square(spectrum) * (plan.weights / (height * width))
    means = bin_sums(values.reshape(len(values), -1), plan) / layout.counts
    if mode == "centered":
        means = power_to_db(means)
    return means.reshape(lead + (layout.num_bins,))


def resample_profile(profiles: np.ndarray, length: int) -> np.ndarray:
    """Resample (..., bins) profiles to (..., length) by linear interpolation over the same span."""
    profiles = np.asarray(profiles, dtype=np.float64)
    lower, upper, weight = resample_plan(profiles.shape[-1], int(length))
    return profiles[..., lower] * (1.0 - weight) + profiles[..., upper] * weight


def normalize_profile(profiles: np.ndarray, normalize) -> np.ndarray:
    """Apply ``normalize`` (None, ``"minmax"`` per sample to [0, 1], ``"first"`` divide by bin 0)."""
    _check_normalize(normalize)
    profiles = np.asarray(profiles, dtype=np.float64)
    if normalize == "minmax":
        low = profiles.min(axis=-1, keepdims=True)
        span = profiles.max(axis=-1, keepdims=True) - low
        return (profiles - low) / np.maximum(span, 1e-12)
    if normalize == "first":
        first = profiles[..., :1]
        return np.divide(profiles, first, out=np.zeros_like(profiles), where=first != 0)
    return profiles


def azimuthal_integral(images, mode: str = "centered", normalize=None, num_bins: int | None = None):
    """Azimuthal integral of images in numpy, identical in definition to the Keras layer.

    Parameters
    ----------
    images : array_like
        (H, W) gray, or (..., H, W, C) with C in {1, 3, 4}. Any value range; the reference code uses
        [-1, 1] and the package's loaders give [0, 1].
    mode : {"centered", "reference"}
        See the module docstring.
    normalize : {None, "minmax", "first"}
        Per-profile normalisation applied last.
    num_bins : int, optional
        Resample the profile to this length (for mixed image sizes).

    Returns
    -------
    numpy.ndarray
        float64 profiles of shape (..., bins).

    Examples
    --------
    >>> import numpy as np
    >>> azimuthal_integral(np.random.rand(64, 64, 3), mode="reference").shape
    (43,)
    """
    _check_mode(mode)
    _check_normalize(normalize)
    check_num_bins(num_bins)
    gray = to_gray(images)
    check_size(gray.shape[-2], gray.shape[-1], mode)
    if gray.size == 0:
        raise ArgumentError("images", f"is an empty batch. Received: shape={np.shape(images)}")
    _check_finite("images", gray)
    profile = profile_from_gray(gray, mode)
    if num_bins is not None:
        profile = resample_profile(profile, num_bins)
    return normalize_profile(profile, normalize)


class SpectrumAccumulator:
    """Streaming mean and standard deviation of profiles (Chan's parallel update, float64)."""

    def __init__(self):
        self.count = 0
        self.mean = None
        self._m2 = None

    def update(self, profiles: np.ndarray) -> None:
        profiles = np.asarray(profiles, dtype=np.float64).reshape(-1, np.shape(profiles)[-1])
        n = len(profiles)
        if n == 0:
            return
        batch_mean = profiles.mean(axis=0)
        batch_m2 = ((profiles - batch_mean) ** 2).sum(axis=0)
        if self.mean is None:
            self.count, self.mean, self._m2 = n, batch_mean, batch_m2
            return
        if batch_mean.shape != self.mean.shape:
            raise ValueError(
                f"All profiles must have {self.mean.shape[0]} bins. Received: {batch_mean.shape[0]} bins"
            )
        total = self.count + n
        delta = batch_mean - self.mean
        self.mean = self.mean + delta * n / total
        self._m2 = self._m2 + batch_m2 + delta**2 * self.count * n / total
        self.count = total

    @property
    def std(self) -> np.ndarray:
        if not self.count:
            raise ValueError("No profiles were accumulated.")
        return np.sqrt(self._m2 / self.count)


def check_batch_size(batch_size) -> int:
    """``batch_size`` as an int, or ``ValueError`` unless it is an integer >= 1."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ArgumentError("batch_size", f"must be an integer >= 1. Received: batch_size={batch_size!r}")
    return int(batch_size)


def array_batches(array, batch_size: int):
    """Consecutive slices ``array[i:i + batch_size]`` along the first axis (the last may be shorter).

    The one array batcher of the package; ``batch_size`` is checked at the call, not at the first batch.

    >>> [len(b) for b in array_batches(np.zeros((5, 2)), 2)]
    [2, 2, 1]
    """
    batch_size = check_batch_size(batch_size)
    return (array[start:start + batch_size] for start in range(0, len(array), batch_size))


def image_array_batches(data, batch_size: int = 64):
    """Yield numpy (b, H, W, C) image batches from an array, an iterable of arrays, or a tf.data.Dataset.

    The one reader of "images in memory or a stream of batches" inputs (:func:`mean_spectrum`,
    ``upconv_tf.metrics``); image *files* are read by ``upconv_tf.datasets.iter_batches``.
    """
    if isinstance(data, np.ndarray):
        if data.ndim not in (3, 4) or data.ndim == 3 and data.shape[-1] in (1, 3, 4):
            raise ValueError(
                f"`data` must be a batch (N, H, W, C) or (N, H, W) of gray images. Received: shape={data.shape}"
            )
        yield from array_batches(data[..., None] if data.ndim == 3 else data, batch_size)
        return
    for item in data:
        if isinstance(item, (tuple, list)):  # (images, labels) datasets: take the images
            item = item[0]
        if isinstance(item, dict):
            item = item.get("image", next(iter(item.values())))
        item = np.asarray(item)
        yield item if item.ndim == 4 else item[None]


def mean_spectrum(data, mode: str = "centered", normalize="minmax", num_bins: int | None = None,
                  batch_size: int = 64, return_std: bool = False):
    """Mean azimuthal integral over an array or a stream of image batches, in one pass.

    Parameters
    ----------
    data : numpy.ndarray, tf.data.Dataset or iterable
        (N, H, W, C) array, or batches of images (a dataset may yield ``(images, labels)`` or dicts with
        an ``"image"`` key).
    mode, normalize, num_bins
        As in :func:`azimuthal_integral`; the paper's spectral loss uses ``normalize="minmax"``.
    batch_size : int
        Batch size used when ``data`` is an array.
    return_std : bool
        Also return the per-bin standard deviation.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        float32 mean profile (and standard deviation).
    """
    check_batch_size(batch_size)
    accumulator = SpectrumAccumulator()
    for batch in image_array_batches(data, batch_size):
        if len(batch) == 0:  # e.g. an empty last batch of a stream
            continue
        accumulator.update(azimuthal_integral(batch, mode=mode, normalize=normalize, num_bins=num_bins))
    if not accumulator.count:
        raise ArgumentError("data", f"yielded no images. Received: data of type {type(data).__name__}")
    mean = accumulator.mean.astype(np.float32)
    return (mean, accumulator.std.astype(np.float32)) if return_std else mean

