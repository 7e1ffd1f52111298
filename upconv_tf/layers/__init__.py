"""Keras layers: the differentiable azimuthal integral, the up-sampling blocks, and the magnitude / phase split of a
spectrum (with the MatMul DFT of :mod:`upconv_tf.layers.dft`)."""

from upconv_tf.layers.azimuthal import AzimuthalIntegral
from upconv_tf.layers.spectrum import FrequencyCoordinates, SpectrumComposition, SpectrumDecomposition
from upconv_tf.layers.upsampling import (
    InterpolationUpsampling,
    SpectralCorrection,
    TransposedConvUpsampling,
    ZeroInsertionUpsampling,
    insert_zeros,
)

__all__ = [
    "AzimuthalIntegral",
    "FrequencyCoordinates",
    "InterpolationUpsampling",
    "SpectrumComposition",
    "SpectrumDecomposition",
    "SpectralCorrection",
    "TransposedConvUpsampling",
    "ZeroInsertionUpsampling",
    "insert_zeros",
]
