"""Losses: the spectral BCE term (and the GAN losses it is added to)."""

from upconv_tf.losses.spectral import SpectralBCE, spectral_bce

__all__ = ["SpectralBCE", "spectral_bce"]
