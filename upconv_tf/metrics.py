"""Spectral quality metrics of generated images, as numpy functions (no TensorFlow); their Keras metric twins
(:class:`SpectralDistance`, :class:`LogFrequencyDistance`, :class:`SpectralDecayGap`) live in
:mod:`upconv_tf.keras_metrics` and are reachable from here too, loaded on first use.

Three numbers say how far the spectrum of generated images is from the real one:

* **Spectral distance** (Durall et al., CVPR 2020, eq. 11): the binary cross-entropy
  (:func:`upconv_tf.losses.spectral_bce`) of the *mean* generated min-max normalised azimuthal integral
  against the mean real one, minus its floor (the BCE of the real mean against itself, i.e. its mean
  binary entropy). It is 0 when the mean profiles agree and equals the mean per-bin binary KL divergence
  ``KL(real || fake)``. The paper's loss itself, the BCE of *each* generated profile against the real
  mean averaged over images, is :func:`spectral_bce_loss`; it is not a distance between the two sets
  (it also grows with the spread of the generated profiles, and a held-out real set can score worse
  than a blurred one), so the audit and the experiments report it beside the distance, not instead.
  Both use ``mode="reference"`` (the published pipeline, DC term dropped) by default: in ``"centered"``
  mode bin 0 is the DC term, whose power dominates the min-max range and flattens the rest.
* **Log frequency distance** (LFD), as used by STIG (Lee et al., AAAI 2024, ``eval.py`` of the
  published code: ``log(sum((mean_spectrum_real - mean_spectrum_fake)^2) + 1)`` over the averaged 2-D
  magnitude spectra) after the LFD of the focal frequency loss (Jiang et al., ICCV 2021:
  ``log(mean |F_1 - F_2|^2 + 1)`` for a pair of images). For unpaired sets we compare the mean 2-D
  spectra like STIG, but in decibels of the orthonormal power (the unit of the ``"centered"`` azimuthal
  integral) and with the *mean* over frequencies instead of the sum, so that the value does not grow
  with the image size: ``LFD = ln(1 + mean_uv (S_real(u, v) - S_fake(u, v))^2)`` with ``S`` the mean over
  images of ``10 log10(|F(u, v)|^2 / (H W) + 1e-12)`` of the grayscale image. 0 means identical mean spectra.
* **Power-law decay** (Dzanic, Shah & Witherden, NeurIPS 2020): the power spectrum of natural images
  decays like ``P(k) ~ k^-alpha``; Dzanic et al. fit this decay over the high-frequency end of the
  reduced spectrum and found generated images decay differently. We fit ``log10 P = c - alpha log10 k`` by
  least squares over the upper ``fraction`` (default 0.25) of the azimuthal-integral bins and report
  ``alpha`` (positive: power falls with frequency). Transposed convolutions add high-frequency power
  (smaller ``alpha``), interpolation removes it (larger ``alpha``). Because the fit is linear in the
  profile, the exponent of the mean profile is the mean of the per-image exponents.

Every spectrum comes from :mod:`upconv_tf.spectral` (numpy) or :mod:`upconv_tf.layers.azimuthal`
(TensorFlow); real and generated images must share a value range (e.g. both in [0, 1]) and an encoding,
since LFD and the decay offset depend on the absolute power.

Example:

>>> import numpy as np
>>> real, fake = np.random.rand(8, 32, 32, 3), np.random.rand(8, 32, 32, 3)
>>> log_frequency_distance(real, real) == 0.0
True
>>> decay_exponent(real).shape
(8,)
"""

from __future__ import annotations

import functools

import numpy as np

from upconv_tf import spectral
from upconv_tf.errors import ArgumentError

DEFAULT_MODE = "centered"
# The spectral distance defaults to the published pipeline (the paper's loss input): in "centered" mode bin 0
# is the DC term, whose power dominates the min-max range and flattens the rest of the profile.
DISTANCE_MODE = "reference"
DEFAULT_FRACTION = 0.25


# ----------------------------------------------------------------------------------------- numpy
def _check_fraction(fraction):
    if not isinstance(fraction, (float, int)) or isinstance(fraction, bool) or not 0 < fraction <= 1:
        raise ArgumentError("fraction", f"must be a number in (0, 1]. Received: fraction={fraction!r}")
    return float(fraction)


def _profiles(data, mode, normalize, batch_size=64):
    """Per-image profiles of an array or a stream of batches, as one (N, bins) float64 array."""
    parts = [spectral.azimuthal_integral(batch, mode=mode, normalize=normalize)
             for batch in spectral.image_array_batches(data, batch_size)]
    if not parts:
        raise ArgumentError("images", "yielded no images.")
    return np.concatenate([np.reshape(p, (-1, p.shape[-1])) for p in parts])


def _real_profile(real, real_profile, mode, batch_size):
    if real_profile is None:
        if real is None:
            raise ValueError("Give `real` images or a `real_profile`. Received: real=None, real_profile=None")
        real_profile = spectral.mean_spectrum(real, mode=mode, normalize="minmax", batch_size=batch_size)
    return np.asarray(real_profile, np.float32)


def spectral_distance(real, fake, mode: str = DISTANCE_MODE, real_profile=None, batch_size: int = 64) -> float:
    """Excess spectral BCE (eq. 11) of the mean generated profile over the real mean's own BCE.

    ``spectral_bce(mean_fake, mean_real) - spectral_bce(mean_real, mean_real)``: 0 when the mean min-max
    profiles agree, otherwise the mean per-bin binary KL divergence (see the module docstring).

    Parameters
    ----------
    real : array_like or iterable, optional
        Real images (N, H, W, C) or batches of them; ignored when ``real_profile`` is given.
    fake : array_like or iterable
        Generated images of the same size, same value range.
    mode : {"reference", "centered"}
        Azimuthal-integral mode (:func:`upconv_tf.spectral.azimuthal_integral`); default ``"reference"``,
        the input of the paper's loss.
    real_profile : array_like, optional
        Precomputed mean min-max profile of the real images (``spectral.mean_spectrum(real, mode)``).
    batch_size : int
        Batch size when an array is given.

    Returns
    -------
    float
        Distance in nats, >= 0; lower is closer.
    """
    from upconv_tf.losses import spectral_bce

    real_profile = _real_profile(real, real_profile, mode, batch_size)
    fake_mean = spectral.mean_spectrum(fake, mode=mode, normalize="minmax", batch_size=batch_size)
    pair = np.stack([fake_mean, real_profile]).astype(np.float32)
    bce = spectral_bce(pair, real_profile).numpy()
    return float(max(bce[0] - bce[1], 0.0))


def spectral_bce_loss(real, fake, mode: str = DISTANCE_MODE, real_profile=None, batch_size: int = 64) -> float:
    """The paper's spectral loss as a number: mean over generated images of their BCE to the real mean.

    Same parameters as :func:`spectral_distance`. Its floor is the real mean's binary entropy, and it
    grows with the spread of the generated profiles, so it is not a distance between sets.
    """
    from upconv_tf.losses import spectral_bce

    real_profile = _real_profile(real, real_profile, mode, batch_size)
    fake_profiles = _profiles(fake, mode, "minmax", batch_size).astype(np.float32)
    return float(np.mean(spectral_bce(fake_profiles, real_profile).numpy()))


def mean_log_power_spectrum_2d(data, batch_size: int = 64) -> np.ndarray:
    """Mean over images of :func:`upconv_tf.spectral.log_power_spectrum_2d`, for an array or a stream of
    batches."""
    total, count = None, 0
    for batch in spectral.image_array_batches(data, batch_size):
        spectra = spectral.log_power_spectrum_2d(batch)
        spectra = spectra.reshape((-1,) + spectra.shape[-2:])
        if total is not None and spectra.shape[1:] != total.shape:
            raise ValueError(f"All images must be {total.shape[0]} x {total.shape[1]} px. "
                             f"Received: shape={spectra.shape[1:]}")
        total = spectra.sum(axis=0) if total is None else total + spectra.sum(axis=0)
        count += len(spectra)
    if not count:
        raise ArgumentError("images", "yielded no images.")
    return total / count


def log_frequency_distance(real, fake, batch_size: int = 64) -> float:
    """Log frequency distance between the mean 2-D spectra of two image sets (see the module docstring).

    Parameters
    ----------
    real, fake : array_like or iterable
        Images (N, H, W, C) of the same size and value range, or batches of them.

    Returns
    -------
    float
        ``ln(1 + mean_uv (S_real - S_fake)^2)``, 0 for identical mean spectra.
    """
    mean_real = mean_log_power_spectrum_2d(real, batch_size)
    mean_fake = mean_log_power_spectrum_2d(fake, batch_size)
    if mean_real.shape != mean_fake.shape:
        raise ArgumentError("real", f"and `fake` must have the same image size. "
                                    f"Received: {mean_real.shape} and {mean_fake.shape}", mentions=("fake",))
    return float(np.log1p(np.mean((mean_real - mean_fake) ** 2)))


@functools.lru_cache(maxsize=64)
def decay_fit_weights(num_bins: int, mode: str = DEFAULT_MODE, fraction: float = DEFAULT_FRACTION):
    """Least-squares weights ``(w_alpha, w_offset)`` with ``alpha = w_alpha @ profile``.

    The fit ``log10 P(k) = offset - alpha log10 k`` runs over the bins whose radius ``k >= 1`` lies in the
    upper ``fraction`` of the profile; both weight vectors have ``num_bins`` entries (zeros outside the
    fitted range), so the fit is one dot product in numpy and in TensorFlow.
    """
    fraction = _check_fraction(fraction)
    radius = spectral.bin_radii(num_bins, mode)
    start = max(int(np.floor(num_bins * (1.0 - fraction))), int(radius[0] == 0))
    fitted = np.arange(num_bins) >= start
    if fitted.sum() < 2:
        raise ValueError(f"The fit needs at least 2 bins: raise `fraction` or use larger images. "
                         f"Received: num_bins={num_bins}, fraction={fraction}")
    design = np.stack([np.ones(int(fitted.sum())), np.log10(radius[fitted])], axis=1)
    pseudo_inverse = np.linalg.pinv(design) * spectral.LOG10_POWER_PER_UNIT[mode]  # (2, fitted) profile units -> log10 P
    weights = np.zeros((2, num_bins))
    weights[:, fitted] = pseudo_inverse
    w_alpha, w_offset = -weights[1], weights[0]
    for array in (w_alpha, w_offset):
        array.setflags(write=False)
    return w_alpha, w_offset


def power_law_fit(profiles, mode: str = DEFAULT_MODE, fraction: float = DEFAULT_FRACTION):
    """Fit ``P(k) = 10^offset * k^-alpha`` to un-normalised profiles (..., bins).

    Parameters
    ----------
    profiles : array_like
        Azimuthal integrals from ``spectral.azimuthal_integral(images, mode, normalize=None)``.
    mode : {"centered", "reference"}
        The mode the profiles were computed with (it sets their unit and the radius of each bin).
    fraction : float
        Upper part of the frequency range that is fitted (Dzanic et al. fit the high-frequency end).

    Returns
    -------
    tuple of numpy.ndarray
        ``(alpha, offset)``, each of shape ``profiles.shape[:-1]``.
    """
    profiles = np.asarray(profiles, dtype=np.float64)
    w_alpha, w_offset = decay_fit_weights(profiles.shape[-1], mode, fraction)
    return profiles @ w_alpha, profiles @ w_offset


def decay_exponent(images, mode: str = DEFAULT_MODE, fraction: float = DEFAULT_FRACTION,
                   batch_size: int = 64) -> np.ndarray:
    """Per-image high-frequency decay exponent ``alpha`` (N,) of images or batches of images."""
    return power_law_fit(_profiles(images, mode, None, batch_size), mode, fraction)[0]


def decay_exponent_gap(real, fake, mode: str = DEFAULT_MODE, fraction: float = DEFAULT_FRACTION,
                       batch_size: int = 64) -> float:
    """``mean alpha(fake) - mean alpha(real)``: negative when generated images keep too much high-frequency power."""
    return float(np.mean(decay_exponent(fake, mode, fraction, batch_size))
                 - np.mean(decay_exponent(real, mode, fraction, batch_size)))


def high_frequency_gap(real, fake, fraction: float = DEFAULT_FRACTION, batch_size: int = 64) -> float:
    """Mean power difference in dB, generated minus real, over the upper ``fraction`` of the ``"centered"`` bins.

    Positive: generated images carry too much high-frequency power (transposed convolutions); negative:
    too little (interpolation). Uses the mean un-normalised profiles of both sets.
    """
    fraction = _check_fraction(fraction)
    real_mean = spectral.mean_spectrum(real, mode="centered", normalize=None, batch_size=batch_size)
    fake_mean = spectral.mean_spectrum(fake, mode="centered", normalize=None, batch_size=batch_size)
    if real_mean.shape != fake_mean.shape:
        raise ArgumentError("real", f"and `fake` must have the same image size. "
                                    f"Received: {real_mean.shape} and {fake_mean.shape} bins", mentions=("fake",))
    start = int(np.floor(len(real_mean) * (1.0 - fraction)))
    return float(np.mean(fake_mean[start:].astype(np.float64) - real_mean[start:]))


def spectral_report(real, fake, mode: str = DEFAULT_MODE, fraction: float = DEFAULT_FRACTION,
                    batch_size: int = 64, distance_mode: str = DISTANCE_MODE) -> dict:
    """All three metrics (and the real-side decay exponent) of two image sets in one dictionary.

    ``mode`` is used for the decay fit, ``distance_mode`` for the spectral distance.
    """
    real_alpha = decay_exponent(real, mode, fraction, batch_size)
    fake_alpha = decay_exponent(fake, mode, fraction, batch_size)
    return {
        "spectral_distance": spectral_distance(real, fake, mode=distance_mode, batch_size=batch_size),
        "spectral_bce_loss": spectral_bce_loss(real, fake, mode=distance_mode, batch_size=batch_size),
        "log_frequency_distance": log_frequency_distance(real, fake, batch_size),
        "decay_exponent_real": float(np.mean(real_alpha)),
        "decay_exponent_fake": float(np.mean(fake_alpha)),
        "decay_exponent_gap": float(np.mean(fake_alpha) - np.mean(real_alpha)),
        "high_frequency_gap_db": high_frequency_gap(real, fake, fraction, batch_size),
        "decay_mode": mode,
        "distance_mode": distance_mode,
        "fraction": fraction,
    }


# SSIM (Wang et al., IEEE TIP 2004) with its usual settings: 11 x 11 Gaussian window of sigma 1.5, K1 = 0.01,
# K2 = 0.03, per channel then averaged (``tf.image.ssim``). STIG's code uses the same Gaussian in a 35-tap window
# at 256 px, zero-padded; beyond 5 px the Gaussian's taps are below 1e-3 of its peak.
SSIM_SETTINGS = {"filter_size": 11, "filter_sigma": 1.5, "k1": 0.01, "k2": 0.03}


def ssim_per_image(first, second, max_val: float = 1.0):
    """SSIM of each pair of images, a TensorFlow function (differentiable): two (B, H, W, C) -> (B,) float32.

    Images must be at least 11 px on each side and share the value range ``[0, max_val]``.
    """
    import tensorflow as tf

    first, second = tf.cast(first, tf.float32), tf.cast(second, tf.float32)
    return tf.image.ssim(first, second, max_val, **SSIM_SETTINGS)


def structural_similarity(first, second, max_val: float = 1.0, batch_size: int = 64) -> np.ndarray:
    """SSIM of each pair of images (:func:`ssim_per_image`, module settings), as a float64 array of length N.

    Parameters
    ----------
    first, second : array_like
        (N, H, W, C) images of the same shape in ``[0, max_val]``, H and W >= 11.

    Examples
    --------
    >>> images = np.random.rand(2, 16, 16, 3)
    >>> structural_similarity(images, images).round(6).tolist()
    [1.0, 1.0]
    """
    first, second = np.asarray(first, np.float32), np.asarray(second, np.float32)
    if first.shape != second.shape or first.ndim != 4 or min(first.shape[1:3]) < SSIM_SETTINGS["filter_size"]:
        raise ValueError(f"`first` and `second` must be (N, H, W, C) images of one shape with H, W >= "
                         f"{SSIM_SETTINGS['filter_size']}. Received: {first.shape} and {second.shape}")
    batch_size = spectral.check_batch_size(batch_size)
    parts = [np.asarray(ssim_per_image(first[i:i + batch_size], second[i:i + batch_size], max_val), np.float64)
             for i in range(0, len(first), batch_size)]
    return np.concatenate(parts) if parts else np.zeros(0)


_KERAS_METRICS = ("SpectralDistance", "LogFrequencyDistance", "SpectralDecayGap")


def __getattr__(name):
    # The Keras metrics import TensorFlow: load them only when asked for.
    if name in _KERAS_METRICS:
        from upconv_tf import keras_metrics

        return getattr(keras_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "decay_exponent", "decay_exponent_gap",
    "decay_fit_weights", "high_frequency_gap", "log_frequency_distance", "mean_log_power_spectrum_2d",
    "power_law_fit", "spectral_bce_loss", "spectral_distance", "spectral_report",
]
