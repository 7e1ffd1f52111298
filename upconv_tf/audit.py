"""Deprecated: moved to :mod:`upconv_tf.workflows.audit` (this module goes in the next release)."""

from upconv_tf._deprecated import moved

__getattr__ = moved(__name__, {
    "MIN_REAL_IMAGES": "upconv_tf.workflows.audit",
    "MAX_SAMPLES": "upconv_tf.workflows.audit",
    "verdict": "upconv_tf.workflows.audit",
    "audit_images": "upconv_tf.workflows.audit",
    "generator_size": "upconv_tf.workflows.audit",
    "audit_generator": "upconv_tf.workflows.audit",
    "NotEnoughRealImages": "upconv_tf.workflows.audit",
    "plot_report": "upconv_tf.workflows.audit",
})
