"""Losses: the spectral BCE term and the GAN losses it is added to."""

from upconv_tf.losses.gan import (
    PENALTY_WEIGHT,
    dcgan_discriminator_loss,
    dcgan_generator_loss,
    dragan_penalty,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    r1_penalty,
    wasserstein_discriminator_loss,
    wasserstein_generator_loss,
    wasserstein_gradient_penalty,
)
from upconv_tf.losses.spectral import (
    SPECTRAL_PROFILES,
    SpectralBCE,
    floored_log_profile,
    hold_extremes,
    log_ring_power,
    normalize_minmax,
    spectral_bce,
)

__all__ = [
    "PENALTY_WEIGHT",
    "SPECTRAL_PROFILES",
    "SpectralBCE",
    "dcgan_discriminator_loss",
    "dcgan_generator_loss",
    "dragan_penalty",
    "floored_log_profile",
    "hold_extremes",
    "lsgan_discriminator_loss",
    "log_ring_power",
    "lsgan_generator_loss",
    "normalize_minmax",
    "r1_penalty",
    "spectral_bce",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
    "wasserstein_gradient_penalty",
]
