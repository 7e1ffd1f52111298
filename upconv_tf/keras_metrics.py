"""Keras metrics of spectral quality, streaming over batches: the TensorFlow twins of the numpy functions of
:mod:`upconv_tf.metrics` (:class:`SpectralDistance`, :class:`LogFrequencyDistance`, :class:`SpectralDecayGap`), for
``model.compile(metrics=...)`` and evaluation loops. Each compares ``y_true`` (real) and ``y_pred`` (generated)
image batches and gives the same number as its numpy twin on the whole sets.
"""

from __future__ import annotations

import keras
import numpy as np

from upconv_tf import spectral
from upconv_tf.metrics import DEFAULT_FRACTION, DEFAULT_MODE, DISTANCE_MODE, _check_fraction, decay_fit_weights


def _check_mode(mode):
    if mode not in spectral.MODES:
        raise ValueError(f"`mode` must be one of {spectral.MODES}. Received: mode={mode!r}")
    return mode


def _weights(sample_weight, batch, dtype):
    import tensorflow as tf

    if sample_weight is None:
        return tf.ones([batch], dtype)
    return tf.reshape(tf.cast(sample_weight, dtype), [-1]) * tf.ones([batch], dtype)


class _PairedSumMetric(keras.metrics.Metric):
    """Weighted running sums of a per-image array for ``y_true`` and ``y_pred``, built on first use."""

    def __init__(self, name, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._state_built = False

    def _per_image(self, images):  # (B, H, W, C) -> (B, ...) float32
        raise NotImplementedError

    def _state_shape(self, height, width):
        raise NotImplementedError

    def _build_state(self, image_shape):
        if len(image_shape) != 4:
            raise ValueError(f"`y_true` and `y_pred` must be (batch, H, W, C). Received: shape={tuple(image_shape)}")
        shape = self._state_shape(image_shape[1], image_shape[2])
        self.sum_true = self.add_variable(shape=shape, initializer="zeros", name="sum_true", dtype="float32")
        self.sum_pred = self.add_variable(shape=shape, initializer="zeros", name="sum_pred", dtype="float32")
        self.count_true = self.add_variable(shape=(), initializer="zeros", name="count_true", dtype="float32")
        self.count_pred = self.add_variable(shape=(), initializer="zeros", name="count_pred", dtype="float32")
        self._state_built = True

    def _accumulate(self, images, total, count, sample_weight):
        import tensorflow as tf

        values = tf.cast(self._per_image(tf.convert_to_tensor(images)), tf.float32)
        weights = _weights(sample_weight, tf.shape(values)[0], tf.float32)
        total.assign_add(tf.tensordot(weights, values, axes=1))
        count.assign_add(tf.reduce_sum(weights))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate real ``y_true`` and generated ``y_pred`` (batch, H, W, C); ``sample_weight`` (batch,)
        weights the images of both (Keras passes them paired)."""
        if not self._state_built:
            self._build_state(tuple(y_pred.shape))
        self._accumulate(y_true, self.sum_true, self.count_true, sample_weight)
        self._accumulate(y_pred, self.sum_pred, self.count_pred, sample_weight)

    def _means(self):
        import tensorflow as tf

        return (tf.math.divide_no_nan(self.sum_true, self.count_true),
                tf.math.divide_no_nan(self.sum_pred, self.count_pred))

    def _result(self, mean_true, mean_pred):
        raise NotImplementedError

    def result(self):
        import tensorflow as tf

        if not self._state_built:
            return tf.constant(0.0)
        value = tf.cast(self._result(*self._means()), tf.float32)
        return tf.where(self.count_pred > 0, value, 0.0)  # 0 before any generated image was seen


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectralDistance(_PairedSumMetric):
    """Excess spectral BCE (Durall et al., eq. 11) of the mean generated profile, as :func:`spectral_distance`.

    ``update_state(y_true, y_pred)`` takes real images ``y_true`` and generated images ``y_pred``
    (batch, H, W, C), same value range; it streams the mean min-max profile of each. The real profile
    is ``real_profile`` when given (the paper estimates it once from 1,000 real images, e.g.
    ``spectral.mean_spectrum(real, mode="reference")``), otherwise the streamed mean of ``y_true``. The
    result is ``spectral_bce(mean_pred, real) - spectral_bce(real, real)`` (0 for equal means).

    Args:
        real_profile: optional (bins,) mean min-max normalised real profile.
        mode: azimuthal-integral mode, ``"reference"`` (default, the paper's loss input) or ``"centered"``.
        name, dtype: as for any Keras metric.

    Example:

    >>> metric = SpectralDistance()
    >>> images = np.random.rand(4, 32, 32, 3)
    >>> metric.update_state(images, images)
    >>> float(metric.result()) < 1e-6
    True
    """

    def __init__(self, real_profile=None, mode=DISTANCE_MODE, name="spectral_distance", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.mode = _check_mode(mode)
        if real_profile is not None:
            real_profile = np.asarray(real_profile, np.float32)
            if real_profile.ndim != 1 or len(real_profile) < 2 or not np.all(np.isfinite(real_profile)):
                raise ValueError(f"`real_profile` must be a finite 1-D profile of at least 2 bins. "
                                                    f"Received: shape={real_profile.shape}")
        self.real_profile = real_profile

    def _state_shape(self, height, width):
        bins = spectral.num_bins(height, width, self.mode)
        if self.real_profile is not None and len(self.real_profile) != bins:
            raise ValueError(f"`real_profile` has {len(self.real_profile)} bins but {height} x {width} px images "
                                                f"give {bins} in mode={self.mode!r}. Received: shape={self.real_profile.shape}")
        return (bins,)

    def _per_image(self, images):
        from upconv_tf.layers.azimuthal import azimuthal_integral

        return azimuthal_integral(images, self.mode, "minmax")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.real_profile is None:
            return super().update_state(y_true, y_pred, sample_weight)
        if not self._state_built:  # the real side is fixed: only the generated images are accumulated
            self._build_state(tuple(y_pred.shape))
        self._accumulate(y_pred, self.sum_pred, self.count_pred, sample_weight)

    def _result(self, mean_true, mean_pred):
        import tensorflow as tf

        from upconv_tf.losses import spectral_bce

        real = mean_true if self.real_profile is None else tf.constant(self.real_profile)
        bce = spectral_bce(tf.stack([mean_pred, real]), real)
        return tf.maximum(bce[0] - bce[1], 0.0)

    def get_config(self):
        config = super().get_config()
        profile = None if self.real_profile is None else self.real_profile.tolist()
        config.update({"real_profile": profile, "mode": self.mode})
        return config


@keras.saving.register_keras_serializable(package="upconv_tf")
class LogFrequencyDistance(_PairedSumMetric):
    """Log frequency distance between the mean 2-D spectra of ``y_true`` and ``y_pred`` (STIG's LFD).

    Streams the mean of :func:`upconv_tf.spectral.log_power_spectrum_2d` of real (``y_true``) and generated (``y_pred``)
    images; the result is ``ln(1 + mean_uv (S_true - S_pred)^2)``, as :func:`log_frequency_distance`.
    ``y_true`` and ``y_pred`` need not be paired or of equal batch size, but must share a size and
    value range.

    Args:
        name, dtype: as for any Keras metric.

    Example:

    >>> metric = LogFrequencyDistance()
    >>> images = np.random.rand(4, 32, 32, 3)
    >>> metric.update_state(images, images)
    >>> float(metric.result())
    0.0
    """

    def __init__(self, name="log_frequency_distance", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _state_shape(self, height, width):
        if height is None or width is None:
            raise ValueError(f"The image size must be static. Received: height={height}, width={width}")
        return (int(height), int(width))

    def _per_image(self, images):
        import tensorflow as tf

        from upconv_tf import backends
        from upconv_tf.layers.azimuthal import rgb_to_gray

        return spectral.gray_log_power_spectrum_2d(tf.cast(rgb_to_gray(images), tf.float32), backends.tensorflow())

    def _result(self, mean_true, mean_pred):
        import tensorflow as tf

        return tf.math.log1p(tf.reduce_mean(tf.square(mean_true - mean_pred)))


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectralDecayGap(_PairedSumMetric):
    """Gap of the high-frequency power-law decay exponent, ``alpha(y_pred) - alpha(y_true)`` (Dzanic et al.).

    Streams the mean un-normalised azimuthal integral of real (``y_true``) and generated (``y_pred``)
    images and fits ``P(k) ~ k^-alpha`` over the upper ``fraction`` of the bins of each
    (:func:`power_law_fit`). Negative: generated images keep too much high-frequency power (transposed
    convolutions); positive: they lose it (interpolation).

    Args:
        mode: azimuthal-integral mode, ``"centered"`` or ``"reference"``.
        fraction: upper part of the frequency range that is fitted, in (0, 1].
        name, dtype: as for any Keras metric.

    Example:

    >>> metric = SpectralDecayGap()
    >>> images = np.random.rand(4, 32, 32, 3)
    >>> metric.update_state(images, images)
    >>> abs(float(metric.result())) < 1e-5
    True
    """

    def __init__(self, mode=DEFAULT_MODE, fraction=DEFAULT_FRACTION, name="spectral_decay_gap", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.mode = _check_mode(mode)
        self.fraction = _check_fraction(fraction)
        self._fit = None

    def _state_shape(self, height, width):
        bins = spectral.num_bins(height, width, self.mode)
        self._fit = decay_fit_weights(bins, self.mode, self.fraction)[0].astype(np.float32)
        return (bins,)

    def _per_image(self, images):
        from upconv_tf.layers.azimuthal import azimuthal_integral

        return azimuthal_integral(images, self.mode, None)

    def _result(self, mean_true, mean_pred):
        import tensorflow as tf

        return tf.tensordot(mean_pred - mean_true, tf.constant(self._fit), axes=1)

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "fraction": self.fraction})
        return config


__all__ = ["LogFrequencyDistance", "SpectralDecayGap", "SpectralDistance"]
