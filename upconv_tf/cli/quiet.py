"""The CLI's quieting (:mod:`upconv_tf._quiet`, the same for library users as ``upconv_tf.quiet()``)."""

from upconv_tf._quiet import NOISE, is_noise, quiet_stderr  # noqa: F401
