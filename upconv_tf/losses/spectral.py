"""The spectral regularisation term of Durall et al. (CVPR 2020), eqs. (10)-(11), and the profile it compares.

Three profiles can feed the term (:data:`SPECTRAL_PROFILES`), all min-max normalised per image:

* ``"paper"``: the published one, the ring mean of ``20 ln(|F| + 1e-8)`` (:class:`upconv_tf.layers.
  AzimuthalIntegral`), the profile the paper's readout plots. With the BCE of eq. (11) per image, as published,
  its gradient is badly conditioned on a freshly initialised generator: the two bins that min-max maps to
  exactly 0 and 1 get ``r / 1e-7`` from the BCE, which the min-max cancels analytically but not in float32
  (a difference of ~1e5-sized terms), and ``d 20 ln|F| / d|F| = 20 / |F|`` for *each* coefficient. float32
  gradients then differ from float64 by ~1e-3 to 1e-2 relative, so 1 vs 2 replicas drift apart from
  summation order alone. :func:`hold_extremes` (the 0/1 bins held constant: their true derivative is 0) and
  the batch-mean reduction of :mod:`upconv_tf.models.spectral_target` bring that to ~1e-4.
* ``"floored_log"`` (the models' default): :func:`floored_log_profile`, the same with ``|F|^2 / (H W)``
  floored at the power of 8-bit rounding noise: a bounded gradient.
* ``"ring_power"``: :func:`log_ring_power`, ``10 ln`` of the ring *mean power* plus that floor (eq. 2
  integrates the power over the ring; ``10 ln P = 20 ln |F|``, so the units match): the best conditioned, but
  a ring's mean power is dominated by its strongest coefficients while the readout averages logs, so a
  generator can match it with sparse peaks and still miss the readout.

:func:`normalize_minmax` divides by a minimum span, so that a flat profile (a constant image) keeps a bounded
gradient.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.layers.azimuthal import rgb_to_gray
from upconv_tf.options import SPECTRAL_PROFILES  # noqa: F401  (named here, where the profiles are defined)

# Shifts the logs away from log(0): min-max profiles hold an exact 0 and 1 in every sample, and a
# clip (as in keras' BCE) would cut the gradient at exactly those bins.
LOG_EPSILON = 1e-7
# Power (per pixel, images in [-1, 1]) of the rounding noise of 8-bit images: step 2/255, variance step^2/12.
# Detail below it does not survive a PNG, so the profile need not resolve it.
QUANTIZATION_POWER = (2.0 / 255.0) ** 2 / 12.0
# Smallest span (profile units, 10 ln P) that min-max divides by: a nearly flat profile (a constant image)
# would otherwise get a gradient of 1 / span. Real 32-1024 px crops span 40-120 units.
MIN_SPAN = 1.0


def check_profile(profile):
    """Raise ``ValueError`` unless ``profile`` is one of :data:`SPECTRAL_PROFILES`."""
    if profile not in SPECTRAL_PROFILES:
        raise ValueError(f"`spectral_profile` must be one of {SPECTRAL_PROFILES}. Received: spectral_profile={profile!r}")
    return profile


def _orthonormal_power(images, mode):
    """Grayscale half-plane power ``|F|^2 / (H W)`` flattened (B, coefficients), and the bin layout."""
    gray = rgb_to_gray(tf.convert_to_tensor(images))
    height, width = gray.shape[-2], gray.shape[-1]
    layout = spectral.bin_layout(height, width, mode)
    power = tf.square(tf.abs(tf.signal.rfft2d(gray))) * tf.constant(1.0 / (height * width), gray.dtype)
    return tf.reshape(power, [-1, height * (width // 2 + 1)]), layout


def _ring_means(values, layout):
    """(B, coefficients) half-plane values -> (B, bins) means over the full-plane coefficients of each bin."""
    # Each half-plane coefficient enters once per full-plane coefficient it stands for (its Hermitian mirror).
    gathered = tf.transpose(tf.gather(values, layout.sources, axis=1))
    sums = tf.math.unsorted_segment_sum(gathered, layout.ids, layout.num_bins + 1)[: layout.num_bins]
    return tf.transpose(sums) * tf.constant(1.0 / layout.counts, values.dtype)


def log_ring_power(images, mode="reference", floor=QUANTIZATION_POWER):
    """``10 ln(mean power over each ring + floor)``: (B, H, W, C) images -> (B, bins) profiles.

    The rings (bins) are those of :func:`upconv_tf.spectral.bin_layout` for ``mode`` (``"reference"``:
    integer radii around ``((W-1)/2, (H-1)/2)`` up to the corners, first and last radius dropped). The power
    is orthonormal, ``|F|^2 / (H W)`` of the grayscale image, so white noise of variance s^2 has power s^2 in
    every ring. float64 inputs are computed in float64, every other dtype in float32.

    Its gradient is bounded: ``d/d|F_j| = 20 |F_j| / (H W n_k (P_k + floor))`` for a coefficient of ring
    ``k`` (``n_k`` coefficients, mean power ``P_k``), never more than ``10 / sqrt(H W n_k floor)``.

    Example:

    >>> log_ring_power(tf.zeros((2, 32, 32, 3))).shape
    TensorShape([2, 20])
    """
    power, layout = _orthonormal_power(images, mode)
    return 10.0 * tf.math.log(_ring_means(power, layout) + tf.constant(floor, power.dtype))


def floored_log_profile(images, mode="reference", floor=QUANTIZATION_POWER):
    """The paper's profile with a bounded gradient: the ring mean of ``10 ln(|F|^2 / (H W) + floor)``.

    Equal to the published ``20 ln|F|`` ring means (up to the constant ``-10 ln(H W)``, which min-max removes)
    wherever the power is well above ``floor``; at weak coefficients the floor, the power of 8-bit rounding
    noise, stands for what an 8-bit PNG of the image holds there anyway. Gradient per coefficient
    ``20 |F_j| / (H W n_k (P_j + floor))``, at most ``10 / (n_k sqrt(H W floor))`` (the published one,
    ``20 / (n_k |F_j|)``, has no bound). Same bins, dtypes and shapes as :func:`log_ring_power`.
    """
    power, layout = _orthonormal_power(images, mode)
    return _ring_means(10.0 * tf.math.log(power + tf.constant(floor, power.dtype)), layout)


def normalize_minmax(profiles, min_span=MIN_SPAN):
    """Per-profile min-max to [0, 1], dividing by ``max(span, min_span)`` (bounded gradient when flat)."""
    low = tf.reduce_min(profiles, axis=-1, keepdims=True)
    span = tf.reduce_max(profiles, axis=-1, keepdims=True) - low
    return (profiles - low) / tf.maximum(span, tf.constant(min_span, profiles.dtype))


def _check_profiles(name, profiles):
    """Eager mode only (graphs stay free of host checks): values must be finite and in [0, 1]."""
    if not tf.executing_eagerly() or tf.size(profiles) == 0:
        return
    low, high = float(tf.reduce_min(profiles)), float(tf.reduce_max(profiles))
    if not (low >= -1e-6 and high <= 1 + 1e-6):  # also false for NaN
        raise ValueError(
            f"`{name}` must be min-max normalised profiles in [0, 1] (finite). Received: values in [{low}, {high}]"
        )


def hold_extremes(profiles):
    """``profiles`` with each sample's smallest and largest bin held constant (no gradient through them).

    For min-max profiles those bins are exactly 0 and 1 whatever the image, so their true derivative is 0;
    but the BCE of eq. (11) gives them ``r / 1e-7``, which the min-max cancels only up to float rounding
    (a difference of ~1e5-sized terms). Same values, no cancellation.

    Example:

    >>> hold_extremes(tf.constant([[0.0, 0.4, 1.0]])).numpy().tolist()
    [[0.0, 0.4000000059604645, 1.0]]
    """
    profiles = tf.convert_to_tensor(profiles)
    bins = tf.shape(profiles)[-1]
    extreme = tf.logical_or(tf.one_hot(tf.argmin(profiles, axis=-1), bins, dtype=profiles.dtype) > 0.5,
                            tf.one_hot(tf.argmax(profiles, axis=-1), bins, dtype=profiles.dtype) > 0.5)
    return tf.where(extreme, tf.stop_gradient(profiles), profiles)


def spectral_bce(ai_fake, ai_real_mean):
    """Binary cross-entropy between generated profiles and the mean real profile, eq. (11).

    ``L = -1/B * sum_k [r_k log f_k + (1 - r_k) log(1 - f_k)]`` with ``B`` the number of bins, for
    min-max normalised profiles (``AzimuthalIntegral(normalize="minmax")``) in [0, 1]. Safe and
    differentiable at exact 0 and 1. Shapes are checked when traced; in eager mode values outside
    [0, 1] or NaN/inf raise ``ValueError`` (graphs get no host-side check).

    Args:
        ai_fake: (batch, bins) profiles of generated images, values in [0, 1].
        ai_real_mean: (bins,) or (batch, bins) real profile(s) in [0, 1].

    Returns:
        (batch,) loss per sample, float32 (float64 for float64 inputs).

    Example:

    >>> spectral_bce(tf.constant([[0.0, 0.5, 1.0]]), tf.constant([0.0, 0.5, 1.0])).shape
    TensorShape([1])
    """
    # float64 stays float64 (exact gradient checks), every other dtype is computed in float32.
    dtype = tf.float64 if tf.as_dtype(getattr(ai_fake, "dtype", tf.float32)) == tf.float64 else tf.float32
    ai_fake = tf.cast(ai_fake, dtype)
    ai_real_mean = tf.cast(ai_real_mean, dtype)
    if ai_fake.shape.rank != 2:
        raise ValueError(f"`ai_fake` must be (batch, bins). Received: shape={ai_fake.shape}")
    if ai_real_mean.shape.rank not in (1, 2):
        raise ValueError(f"`ai_real_mean` must be (bins,) or (batch, bins). Received: shape={ai_real_mean.shape}")
    if ai_fake.shape[-1] == 0:
        raise ValueError(f"`ai_fake` has no bins. Received: shape={ai_fake.shape}")
    if ai_real_mean.shape[-1] is not None and ai_fake.shape[-1] is not None \
            and ai_real_mean.shape[-1] != ai_fake.shape[-1]:
        raise ValueError(
            f"`ai_real_mean` must have {ai_fake.shape[-1]} bins like `ai_fake`. "
            f"Received: shape={ai_real_mean.shape}"
        )
    for name, value in (("ai_fake", ai_fake), ("ai_real_mean", ai_real_mean)):
        _check_profiles(name, value)
    term = ai_real_mean * tf.math.log(ai_fake + LOG_EPSILON) \
        + (1.0 - ai_real_mean) * tf.math.log(1.0 - ai_fake + LOG_EPSILON)
    return -tf.reduce_mean(term, axis=-1)


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectralBCE(keras.losses.Loss):
    """Keras loss for :func:`spectral_bce`: ``y_true`` real profile(s), ``y_pred`` generated profiles.

    Example:

    >>> loss = SpectralBCE()
    >>> float(loss(tf.constant([[0.0, 1.0]]), tf.constant([[0.0, 1.0]]))) < 1e-5
    True
    """

    def __init__(self, name="spectral_bce", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        return spectral_bce(y_pred, y_true)
