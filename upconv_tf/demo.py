"""Deprecated: moved to :mod:`upconv_tf.workflows.demo` (this module goes in the next release)."""

from upconv_tf._deprecated import moved

__getattr__ = moved(__name__, {
    "DemoConfig": "upconv_tf.workflows.demo",
    "DemoState": "upconv_tf.workflows.demo",
    "STEPS": "upconv_tf.workflows.demo",
    "run_demo": "upconv_tf.workflows.demo",
})
