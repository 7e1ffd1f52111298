"""Re-export of :mod:`upconv_tf.reference_impl` (the published pipeline) for ``from reference_impl import``."""

from upconv_tf.reference_impl import azimuthal_average, reference_profile, rgb2gray  # noqa: F401
