"""The spectral regularisation term of Durall et al. (CVPR 2020), eqs. (10)-(11)."""

from __future__ import annotations

import keras
import tensorflow as tf

# Shifts the logs away from log(0): min-max profiles hold an exact 0 and 1 in every sample, and a
# clip (as in keras' BCE) would cut the gradient at exactly those bins.
LOG_EPSILON = 1e-7


def _check_profiles(name, profiles):
    """Eager mode only (graphs stay free of host checks): values must be finite and in [0, 1]."""
    if not tf.executing_eagerly() or tf.size(profiles) == 0:
        return
    low, high = float(tf.reduce_min(profiles)), float(tf.reduce_max(profiles))
    if not (low >= -1e-6 and high <= 1 + 1e-6):  # also false for NaN
        raise ValueError(
            f"`{name}` must be min-max normalised profiles in [0, 1] (finite). Received: values in [{low}, {high}]"
        )


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
