"""Keras layers: the differentiable azimuthal integral and the up-sampling blocks."""

from upconv_tf.layers.azimuthal import AzimuthalIntegral
from upconv_tf.layers.upsampling import (
    InterpolationUpsampling,
    SpectralCorrection,
    TransposedConvUpsampling,
    ZeroInsertionUpsampling,
    insert_zeros,
)

__all__ = [
    "AzimuthalIntegral",
    "InterpolationUpsampling",
    "SpectralCorrection",
    "TransposedConvUpsampling",
    "ZeroInsertionUpsampling",
    "insert_zeros",
]
