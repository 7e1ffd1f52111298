"""Differentiable azimuthal integral: the Keras layer and the TensorFlow function behind it."""

from __future__ import annotations

import dataclasses
import functools

import keras
import numpy as np
import tensorflow as tf

from upconv_tf import backends, spectral


def compute_dtype(images) -> tf.DType:
    """float64 stays float64 (for exact gradient checks); every other dtype is computed in float32."""
    return tf.float64 if tf.as_dtype(images.dtype) == tf.float64 else tf.float32


def rgb_to_gray(images: tf.Tensor) -> tf.Tensor:
    """(B, H, W, C) with C in {1, 3, 4} -> (B, H, W) ITU-R BT.601 luma (alpha dropped), float32 or 64."""
    channels = images.shape[-1]
    dtype = compute_dtype(images)
    images = tf.cast(images, dtype)
    if channels == 1:
        return tf.squeeze(images, axis=-1)  # a reshape, no copy
    if channels in (3, 4):
        rgb = images if channels == 3 else images[..., :3]  # no copy (and no ONNX Slice) for RGB
        weights = np.asarray(spectral.GRAY_WEIGHTS, dtype.as_numpy_dtype)
        height, width = rgb.shape[-3], rgb.shape[-2]
        pixels = next((k for k in (4, 2) if height and width and height * width % k == 0), 1)
        if pixels == 1:
            return tf.linalg.matvec(rgb, weights)
        # k pixels per row times a block-diagonal (3k, k) matrix: the same sums as a matvec (a MatMul with one
        # output column, which runs far below memory speed in TensorFlow and onnxruntime), ~30% faster.
        block = np.kron(np.eye(pixels, dtype=weights.dtype), weights[:, None])
        gray = tf.matmul(tf.reshape(rgb, [-1, 3 * pixels]), block)
        return tf.reshape(gray, [-1, height, width])
    raise ValueError(f"`inputs` must have 1, 3 or 4 channels. Received: shape={images.shape}")


# How :func:`profile_from_gray` sums the coefficients of each bin (same sums up to float rounding):
# "gather" (the default): gathers and sums only, through :func:`spectral.reduction_plan` (coefficients
# weighted by their Hermitian multiplicity, bins cut into 16-long runs: about H*W/2 indices in the centered
# mode). It is 2-3x faster than the segment sum on CPU, compiles with XLA, and tf2onnx turns it into plain
# ONNX Gather + ReduceSum. "segment_sum": tf.math.unsorted_segment_sum over the full plane (tf2onnx's
# UnsortedSegmentSum becomes a padded (bins x largest bin) gather).
REDUCTIONS = ("gather", "segment_sum")


def check_reduction(reduction) -> None:
    """Raise ``ValueError`` unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"`reduction` must be one of {REDUCTIONS}. Received: reduction={reduction!r}")


def _bin_sums(columns: tf.Tensor, plan: spectral.ReductionPlan) -> tf.Tensor:
    """(coefficients, B) weighted values -> (bins, B) bin sums, by :class:`spectral.ReductionPlan`."""
    # Coefficients on axis 0: a gather then copies whole rows of B floats (far faster than axis 1).
    runs = tf.reduce_sum(tf.gather(columns, plan.chunk_sources), axis=1)
    # The zero row that pads bin_grid: a Pad, not zeros_like (whose Shape op ONNX runtimes keep on the CPU).
    parts = tf.pad(tf.concat([runs, tf.gather(columns, plan.rest_sources)], axis=0), [[0, 1], [0, 0]])
    return tf.reduce_sum(tf.gather(parts, plan.bin_grid), axis=1)


def _gather_sums(values: tf.Tensor, plan: spectral.ReductionPlan) -> tf.Tensor:
    """(B, H, W//2+1) weighted values -> (bins, B) bin sums, by :class:`spectral.ReductionPlan`."""
    return _bin_sums(tf.transpose(tf.reshape(values, [-1, plan.weights.size])), plan)


def _bin_means(sums: tf.Tensor, layout: spectral.BinLayout, mode: str) -> tf.Tensor:
    """(bins, B) bin sums -> (B, bins) profile: bin means, in dB for the centered mode."""
    means = tf.transpose(sums) * tf.constant(1.0 / layout.counts, sums.dtype)
    if mode == "centered":
        means = spectral.power_to_db(means, backends.tensorflow())
    return means


def profile_from_gray(gray: tf.Tensor, mode: str = "centered", reduction: str = "gather") -> tf.Tensor:
    """(B, H, W) gray images -> (B, bins) profiles; the bins are :func:`spectral.bin_layout`.

    ``reduction`` picks how bins are summed (:data:`REDUCTIONS`).
    """
    check_reduction(reduction)
    height, width = gray.shape[-2], gray.shape[-1]
    layout = spectral.bin_layout(height, width, mode)
    plan = spectral.reduction_plan(height, width, mode)
    # tf2onnx converts an FFT only when ComplexAbs is its sole consumer: keep tf.abs right after it.
    magnitude = tf.abs(tf.signal.rfft2d(gray))
    dtype = magnitude.dtype
    if reduction == "gather":
        # The bin multiplicities ride on the scale factor each mode applies anyway.
        if mode == "reference":
            values = tf.math.log(magnitude + spectral.REFERENCE_EPSILON) * tf.constant(20.0 * plan.weights, dtype)
        else:
            values = tf.square(magnitude) * tf.constant(plan.weights / (height * width), dtype)
        sums = _gather_sums(values, plan)
    else:
        if mode == "reference":
            values = 20.0 * tf.math.log(magnitude + spectral.REFERENCE_EPSILON)
        else:
            values = tf.square(magnitude) / float(height * width)
        flat = tf.reshape(values, [-1, height * (width // 2 + 1)])
        gathered = tf.gather(flat, layout.sources, axis=1)
        sums = tf.math.unsorted_segment_sum(tf.transpose(gathered), layout.ids, layout.num_bins + 1)
        sums = sums[: layout.num_bins]
    return _bin_means(sums, layout, mode)


@functools.lru_cache(maxsize=32)
def _columns_plan(height: int, width: int, mode: str, rows: int, positions: bytes) -> spectral.ReductionPlan:
    """:func:`spectral.reduction_plan` (any bin map) for a spectrum of ``rows`` rows stored in another order:
    half-plane indices replaced by ``positions`` (int32 bytes), one weight per row."""
    plan = spectral.reduction_plan(height, width, mode)
    where = np.frombuffer(positions, np.int32)
    half_weights = plan.weights.ravel()
    weights = np.zeros(rows)
    # Two half-plane coefficients share a row only as mirrors of each other (columns 0 and W/2), whose
    # weights are 0 or 1: the row takes the larger, and a coefficient of weight 0 is never gathered.
    np.maximum.at(weights, where, half_weights)
    if not np.array_equal(weights[where[plan.sources]], half_weights[plan.sources]):
        raise ValueError("`positions` maps coefficients of different bin weights to one row")
    remapped = dataclasses.replace(plan, weights=weights, sources=where[plan.sources],
                                   chunk_sources=where[plan.chunk_sources], rest_sources=where[plan.rest_sources])
    for array in (remapped.weights, remapped.sources, remapped.chunk_sources, remapped.rest_sources):
        array.setflags(write=False)
    return remapped


def columns_plan(rows, height: int, width: int, positions=None, mode: str = "centered") -> spectral.ReductionPlan:
    """The :class:`spectral.ReductionPlan` of bin map ``mode`` (:data:`spectral.BIN_MAPS`) for a spectrum stored as
    ``rows`` rows, one coefficient per row, in any order.

    Args:
        rows: number of rows of the spectrum (static).
        height, width: the image size.
        positions: ``(height * (width // 2 + 1),)`` ints, the row that holds each coefficient of ``rfft2d``'s half
            plane (row-major) or its Hermitian mirror; None for the half plane itself, row-major.
        mode: the bin map.
    """
    half = height * (width // 2 + 1)
    positions = np.arange(half) if positions is None else np.asarray(positions)
    if rows is None or positions.shape != (half,) or not 0 <= positions.min() <= positions.max() < rows:
        raise ValueError(f"`positions` must be {half} row indices of `power` for {height} x {width} "
                         f"images. Received: shape={positions.shape} for {rows} rows")
    return _columns_plan(height, width, mode, int(rows), positions.astype(np.int32).tobytes())


def bin_sums(values: tf.Tensor, plan: spectral.ReductionPlan, scale: float = 1.0) -> tf.Tensor:
    """(rows, n) values, one coefficient per row (any number ``n`` of images or quantities on the last axis)
    -> (bins, n) sums of ``scale * values`` over each bin, each coefficient counted with its Hermitian
    multiplicity; ``plan`` from :func:`columns_plan`. The TensorFlow twin of :func:`spectral.bin_sums`."""
    return _bin_sums(values * tf.constant(scale * plan.weights[:, None], values.dtype), plan)


def profile_from_columns(power: tf.Tensor, height: int, width: int, positions, mode: str = "centered") -> tf.Tensor:
    """(rows, B) power spectrum in any row order -> (B, bins) profiles, the bins of :func:`spectral.bin_layout`.

    Args:
        power: ``|F|^2`` of ``height x width`` images, one coefficient per row (a static number of rows),
            the batch on the last axis (as :func:`upconv_tf.layers.dft.power_columns` gives it).
        height, width: the image size.
        positions: ``(height * (width // 2 + 1),)`` ints, the row of ``power`` that holds each coefficient
            of ``rfft2d``'s half plane (row-major) or its Hermitian mirror.
        mode: ``"centered"`` or ``"reference"``.

    Returns:
        ``(B, bins)`` profiles in ``power``'s dtype, equal to :func:`profile_from_gray` of the images.
    """
    layout = spectral.bin_layout(height, width, mode)
    plan = columns_plan(power.shape[0], height, width, positions, mode)
    if mode == "reference":
        sums = bin_sums(tf.math.log(tf.sqrt(power) + spectral.REFERENCE_EPSILON), plan, 20.0)
    else:
        sums = bin_sums(power, plan, 1.0 / (height * width))
    return _bin_means(sums, layout, mode)


def resample(profiles: tf.Tensor, length: int) -> tf.Tensor:
    """Linear resampling of (B, bins) profiles to (B, length), as :func:`spectral.resample_profile`."""
    lower, upper, weight = spectral.resample_plan(profiles.shape[-1], length)
    weight = tf.constant(weight, profiles.dtype)
    return tf.gather(profiles, lower, axis=1) * (1.0 - weight) + tf.gather(profiles, upper, axis=1) * weight


def normalize(profiles: tf.Tensor, method) -> tf.Tensor:
    """Per-profile normalisation, as :func:`spectral.normalize_profile`."""
    if method == "minmax":
        low = tf.reduce_min(profiles, axis=-1, keepdims=True)
        span = tf.reduce_max(profiles, axis=-1, keepdims=True) - low
        return (profiles - low) / tf.maximum(span, 1e-12)
    if method == "first":
        return tf.math.divide_no_nan(profiles, profiles[:, :1])
    return profiles


def check_input_shape(shape, mode: str = "centered", name: str = "inputs"):
    """Trace-time check of a (batch, H, W, C) shape; returns ``(H, W)``. Raises ``ValueError``."""
    shape = tuple(shape)
    if len(shape) != 4:
        raise ValueError(f"`{name}` must be (batch, H, W, C). Received: shape={shape}")
    if shape[3] not in (1, 3, 4):
        raise ValueError(f"`{name}` must have 1, 3 or 4 channels. Received: shape={shape}")
    if shape[0] == 0:
        raise ValueError(f"`{name}` is an empty batch. Received: shape={shape}")
    spectral.check_size(shape[1], shape[2], mode)
    return shape[1], shape[2]


def check_finite(gray: tf.Tensor, name: str = "inputs") -> None:
    """Raise ``ValueError`` on NaN/inf, in eager mode only: graphs (and XLA) get no host-side check."""
    if tf.executing_eagerly() and not bool(tf.reduce_all(tf.math.is_finite(gray))):
        raise ValueError(f"`{name}` holds NaN or infinite values. Received: shape={tuple(gray.shape)}")


def azimuthal_integral(images, mode: str = "centered", normalize_method=None, num_bins=None,
                       argument: str = "images", reduction: str = "gather") -> tf.Tensor:
    """TensorFlow azimuthal integral of a (B, H, W, C) batch with a static H, W.

    float64 inputs are computed and returned in float64, every other dtype in float32. Shapes are
    checked when traced; NaN/inf raise ``ValueError`` in eager mode only (no cost inside graphs).
    ``argument`` is the name error messages give the images; ``reduction`` see :func:`profile_from_gray`.
    """
    images = tf.convert_to_tensor(images)
    check_input_shape(images.shape, mode, argument)
    spectral.check_num_bins(num_bins)
    gray = rgb_to_gray(images)
    check_finite(gray, argument)
    profile = profile_from_gray(gray, mode, reduction)
    if num_bins is not None:
        profile = resample(profile, num_bins)
    return normalize(profile, normalize_method)


@keras.saving.register_keras_serializable(package="upconv_tf")
class AzimuthalIntegral(keras.layers.Layer):
    """Azimuthal integral (1-D power spectrum) of images, differentiable end to end.

    The default ``mode="centered"`` follows eq. (2) of Durall et al., "Watch your Up-Convolution" (CVPR
    2020): for rings ``k = 0 .. min(H, W)//2 - 1`` centred on the zero frequency it averages the power
    ``|F|^2 / (H*W)`` of the 2-D DFT of the grayscale image and returns it as **log power in decibels**
    (``10 log10(mean + 1e-12)``). Bin 0 is the DC term (alone unless one side is over twice the other),
    so it carries the mean brightness; non-square images use rings in frequency normalised to the shorter side. ``mode="reference"`` reproduces the
    published numpy code (``20 ln|F|`` averaged over integer radii around ``((W-1)/2, (H-1)/2)`` of the
    shifted spectrum, first and last radius dropped): 64 px gives 43 bins, 128 px 88. See
    :mod:`upconv_tf.spectral`, which shares the bin definition and computes the same in numpy.

    The FFT is the real half-plane ``rfft2d``; bins are summed with precomputed indices (memory O(H*W)
    per image, no dense bin matrix). Inputs of any float dtype are computed in float32 and the output is
    float32, also under a ``mixed_float16`` policy (float64 inputs stay float64). H and W must be static (XLA compiles the FFT for a
    fixed size).

    Args:
        mode: ``"centered"`` (eq. 2, default) or ``"reference"`` (published pipeline).
        normalize: ``None``, ``"minmax"`` (per-sample min-max to [0, 1], as the paper's loss) or
            ``"first"`` (divide by the first bin, as the detector notebooks).
        num_bins: optional output length; the profile is linearly resampled to it (for mixed sizes).
        reduction: how bins are summed, ``"gather"`` (default: gathers and sums only, the fastest on
            CPU, XLA- and ONNX-friendly) or ``"segment_sum"`` (same sums, ``unsorted_segment_sum``).
        **kwargs: base layer keyword arguments (``name``, ``dtype``...).

    Input shape:
        ``(batch, H, W, C)`` with C in {1, 3, 4}; the alpha channel of RGBA is dropped.

    Output shape:
        ``(batch, bins)`` float32.

    Example:

    >>> layer = AzimuthalIntegral(mode="reference", normalize="minmax")
    >>> layer(np.random.rand(2, 64, 64, 3).astype("float32")).shape
    TensorShape([2, 43])
    """

    def __init__(self, mode="centered", normalize=None, num_bins=None, reduction="gather", **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        if mode not in spectral.MODES:
            raise ValueError(f"`mode` must be one of {spectral.MODES}. Received: mode={mode!r}")
        if normalize not in spectral.NORMALIZATIONS:
            raise ValueError(
                f"`normalize` must be one of {spectral.NORMALIZATIONS}. Received: normalize={normalize!r}"
            )
        spectral.check_num_bins(num_bins)
        self.mode = mode
        self.normalize = normalize
        check_reduction(reduction)
        self.num_bins = None if num_bins is None else int(num_bins)
        self.reduction = reduction
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def _validate(self, input_shape):
        return check_input_shape(input_shape, self.mode)

    def build(self, input_shape):
        height, width = self._validate(input_shape)
        spectral.bin_layout(height, width, self.mode)  # computed once here, cached for call()
        self.built = True

    def call(self, inputs):
        return azimuthal_integral(inputs, self.mode, self.normalize, self.num_bins, argument="inputs",
                                  reduction=self.reduction)

    def compute_output_shape(self, input_shape):
        height, width = self._validate(input_shape)
        bins = self.num_bins or spectral.num_bins(height, width, self.mode)
        return (input_shape[0], bins)

    def compute_output_spec(self, inputs):
        shape = self.compute_output_shape(inputs.shape)
        return keras.KerasTensor(shape, dtype="float64" if inputs.dtype == "float64" else "float32")

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "normalize": self.normalize, "num_bins": self.num_bins,
                       "reduction": self.reduction})
        return config
