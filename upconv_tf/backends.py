"""The array operations a formula needs, in numpy and in TensorFlow, under one set of names.

A formula that both the numpy path (scikit-learn side, metrics) and a TensorFlow graph (the exported detector,
Keras metrics) compute is written once against ``ops`` and called with :data:`NUMPY` or :func:`tensorflow`:
the dB conversion and the 2-D log spectrum (:mod:`upconv_tf.spectral`), the classifier heads
(:mod:`upconv_tf.detection.heads`). Importing this module does not import TensorFlow.

Example:

>>> import numpy as np
>>> float(NUMPY.sigmoid(np.float64(0.0)))
0.5
"""

from __future__ import annotations

import functools
import types

import numpy as np


def _expit(x):
    # scipy is imported on first use: the spectrum and the ONNX runners (a scoring worker) never need it.
    from scipy.special import expit

    return expit(x)


def _numpy_fft2_power(gray):
    return np.square(np.abs(np.fft.fft2(gray)))


NUMPY = types.SimpleNamespace(
    name="numpy",
    abs=np.abs, exp=np.exp, log=np.log, sqrt=np.sqrt, square=np.square, maximum=np.maximum, where=np.where,
    sum=np.sum, mean=np.mean, matmul=np.matmul, sigmoid=_expit, full_like=np.full_like,
    reshape=np.reshape, concat=np.concatenate, fft2_power=_numpy_fft2_power, fftshift=np.fft.fftshift,
)


@functools.lru_cache(maxsize=1)
def tensorflow() -> types.SimpleNamespace:
    """The TensorFlow twin of :data:`NUMPY` (imports TensorFlow on first call)."""
    import tensorflow as tf

    def fft2_power(gray):
        return tf.square(tf.abs(tf.signal.fft2d(tf.complex(gray, tf.zeros_like(gray)))))

    def full_like(x, value):
        return tf.fill(tf.shape(x), tf.cast(value, x.dtype))

    return types.SimpleNamespace(
        name="tensorflow",
        abs=tf.abs, exp=tf.exp, log=tf.math.log, sqrt=tf.sqrt, square=tf.square, maximum=tf.maximum,
        where=tf.where, sum=tf.reduce_sum, mean=tf.reduce_mean, matmul=tf.matmul, sigmoid=tf.sigmoid,
        full_like=full_like, reshape=tf.reshape, concat=tf.concat, fft2_power=fft2_power, fftshift=tf.signal.fftshift,
    )
