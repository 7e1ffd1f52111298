"""Deprecated: the four-step MatMul DFT moved to :mod:`upconv_tf.layers.dft` (models use it too, and models cannot
import from the export floor); this module goes in the next release."""

from upconv_tf._deprecated import moved

__getattr__ = moved(__name__, {name: "upconv_tf.layers.dft" for name in (
    "FourStepPlan", "half_plane_positions", "plan", "power_columns", "split")})
