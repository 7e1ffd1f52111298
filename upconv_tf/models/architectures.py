"""Reference architectures (SPEC s. 3): the DCGAN-style generator and discriminator of UpConv's
``module_spectrum.py`` (after LynnHo's DCGAN-LSGAN-WGAN-GP-DRAGAN code), with a choice of last
up-sampling so that every X.Y.Z setup of Chandrasegaran et al. (CVPR 2021) can be built.

The last up-sampling ("last unit") and the convolutions after it:

============================  =========================================================================
``upsampling, correction``    layers after the last hidden feature map
============================  =========================================================================
``transconv, 0`` (baseline)   ConvT(3, k4, s2)
``transconv, Y >= 1``         ConvT(dim, k4, s2), then Y convs k x k (dim, ..., dim, 3): the paper's fix
``nearest|bilinear, Y >= 1``  interpolation x2, then Y convs k x k: Chandrasegaran's N.Y.k / B.Y.k
``zero, Y >= 1``              zero insertion x2, then Y convs k x k: Z.Y.k
============================  =========================================================================

``nearest, 3, 5`` is the UpConv reference generator (nearest x2, Conv5x5(32) - Conv5x5(32) - Conv5x5(3)).
There is no norm or activation between these layers; tanh follows, computed in float32 (also under
mixed precision; float64 under a float64 policy).
"""

from __future__ import annotations

import math

import keras

from upconv_tf.errors import ArgumentError
from upconv_tf.layers import (
    InterpolationUpsampling,
    SpectralCorrection,
    TransposedConvUpsampling,
    ZeroInsertionUpsampling,
)
from upconv_tf.options import NORMS, UPSAMPLINGS  # noqa: F401 - re-exported by upconv_tf.models


def _positive_int(name, value, minimum=1):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ArgumentError(name, f"must be an integer >= {minimum}. Received: {name}={value!r}")
    return value


def check_size(size):
    """Image side: a power of two >= 8 (the 4 x 4 seed map is doubled up to it)."""
    _positive_int("size", size, 8)
    if size & (size - 1):
        raise ArgumentError("size", f"must be a power of two (32, 64, 128...). Received: size={size!r}")
    return int(math.log2(size // 4))


def check_last_unit(upsampling, correction, kernel_size):
    """Validate the last-unit arguments; returns ``correction`` with its default resolved."""
    if upsampling not in UPSAMPLINGS:
        raise ArgumentError("upsampling", f"must be one of {UPSAMPLINGS}. Received: upsampling={upsampling!r}")
    if correction is None:
        correction = 0 if upsampling == "transconv" else 1
    minimum = 0 if upsampling == "transconv" else 1
    if not isinstance(correction, int) or isinstance(correction, bool) or correction < minimum:
        raise ValueError(
            f"`correction` (convolutions after the last up-sampling) must be an integer >= {minimum} for "
            f"upsampling={upsampling!r} (interpolation and zero insertion need a convolution). "
            f"Received: correction={correction!r}"
        )
    _positive_int("kernel_size", kernel_size)
    return correction


def check_norm(norm):
    if norm not in NORMS:
        raise ArgumentError("norm", f"must be one of {NORMS}. Received: norm={norm!r}")
    return norm


def last_unit(upsampling, correction, kernel_size, filters, channels=3, name="last"):
    """Layers of the last up-sampling unit and the convolutions after it (see the module table)."""
    correction = check_last_unit(upsampling, correction, kernel_size)
    if upsampling == "transconv":
        if correction == 0:
            return [TransposedConvUpsampling(channels, 4, 2, name=f"{name}_transconv")]
        return [TransposedConvUpsampling(filters, 4, 2, name=f"{name}_transconv"),
                SpectralCorrection(correction, filters, kernel_size, output_channels=channels,
                                   name=f"{name}_correction")]
    first = channels if correction == 1 else filters
    if upsampling == "zero":
        unit = ZeroInsertionUpsampling(first, kernel_size=kernel_size, name=f"{name}_zero")
    else:
        unit = InterpolationUpsampling(first, upsampling, kernel_size=kernel_size, name=f"{name}_{upsampling}")
    if correction == 1:
        return [unit]
    return [unit, SpectralCorrection(correction - 1, filters, kernel_size, output_channels=channels,
                                     name=f"{name}_correction")]


# Moving-average momentum of batch norm: the reference (PyTorch) updates its running statistics with
# momentum 0.1, i.e. Keras' 0.9. Keras' default 0.99 averages over ~100 steps: in a short run the
# generator's inference-mode statistics then lag far behind its weights, and samples drawn with
# training=False are mis-normalised (wrong contrast and colour casts).
BATCH_NORM_MOMENTUM = 0.9


def normalization(norm, name):
    """Batch norm (momentum :data:`BATCH_NORM_MOMENTUM`), or layer norm over (H, W, C) with per-channel scale
    and offset (the reference's ``layer_norm``; Keras' ``GroupNormalization(groups=1)``), or None.

    Built under a strategy with several replicas, batch norm is ``synchronized``: its statistics are those of
    the global batch, as on one device, and every replica keeps the same moving averages.
    """
    if norm == "batch":
        from upconv_tf.models.distribute import num_replicas

        return keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=name,
                                               synchronized=num_replicas() > 1)
    if norm == "layer":
        return keras.layers.GroupNormalization(groups=1, name=name)
    return None


def output_dtype():
    """float32 outputs (also under mixed precision), float64 when the policy computes in float64."""
    return "float64" if keras.config.dtype_policy().compute_dtype == "float64" else "float32"


def _apply(x, *layers):
    for layer in layers:
        if layer is not None:
            x = layer(x)
    return x


def build_generator(size=64, latent_dim=128, upsampling="transconv", correction=None, kernel_size=5, dim=32,
                    norm="batch", name=None):
    """DCGAN-style generator: latent (N, latent_dim) -> images (N, size, size, 3) in [-1, 1].

    ConvT(k4, s1, valid) 1 -> 4 px, then ConvT(k4, s2) + norm + ReLU blocks with
    ``min(dim * 2^i, 8 * dim)`` channels, then the last unit (module table) and tanh.

    Args:
        size: output side, a power of two (32, 64, 128...).
        latent_dim: length of the latent vector.
        upsampling: last up-sampling: ``"transconv"``, ``"nearest"``, ``"bilinear"`` or ``"zero"``.
        correction: number of convolutions after the last up-sampling (default 0 for transconv, 1 otherwise).
        kernel_size: kernel of those convolutions.
        dim: base width (channels of the last hidden block and of the correction convolutions).
        norm: ``"batch"`` (reference), ``"layer"`` or ``"none"``.
        name: model name.

    Returns:
        A functional ``keras.Model``.

    Example:

    >>> g = build_generator(32, latent_dim=16, upsampling="nearest", correction=3, dim=8)  # N.3.5
    >>> g(np.zeros((2, 16), "float32")).shape
    TensorShape([2, 32, 32, 3])
    """
    steps = check_size(size)
    _positive_int("latent_dim", latent_dim)
    _positive_int("dim", dim)
    correction = check_last_unit(upsampling, correction, kernel_size)
    check_norm(norm)
    use_bias = norm == "none"
    latent = keras.Input((latent_dim,), name="latent")
    width = min(dim * 2 ** (steps - 1), dim * 8)
    x = keras.layers.Reshape((1, 1, latent_dim))(latent)
    x = _apply(x, keras.layers.Conv2DTranspose(width, 4, strides=1, padding="valid", use_bias=use_bias,
                                               name="seed_transconv"),
               normalization(norm, "seed_norm"), keras.layers.ReLU(name="seed_relu"))
    for i in range(steps - 1):
        width = min(dim * 2 ** (steps - 2 - i), dim * 8)
        x = _apply(x, TransposedConvUpsampling(width, 4, 2, use_bias=use_bias, name=f"up{i + 1}_transconv"),
                   normalization(norm, f"up{i + 1}_norm"), keras.layers.ReLU(name=f"up{i + 1}_relu"))
    x = _apply(x, *last_unit(upsampling, correction, kernel_size, dim))
    images = keras.layers.Activation("tanh", dtype=output_dtype(), name="tanh")(x)
    name = name or f"generator_{size}px_{upsampling}_{correction}x{kernel_size}"
    return keras.Model(latent, images, name=name)


def build_discriminator(size=64, norm="batch", dim=32, name=None):
    """DCGAN-style discriminator: images (N, size, size, 3) -> one logit (N, 1), float32.

    Conv(k4, s2) + LeakyReLU(0.2), then [Conv(k4, s2) + norm + LeakyReLU(0.2)] down to 4 x 4 px with
    ``min(dim * 2^i, 8 * dim)`` channels, then Conv(k4, s1, valid) to the logit. The reference uses batch
    norm with the DCGAN/LSGAN losses and layer norm with a gradient penalty (WGAN-GP, DRAGAN).

    Args:
        size: input side, a power of two.
        norm: ``"batch"``, ``"layer"`` or ``"none"``.
        dim: channels of the first convolution.
        name: model name.

    Example:

    >>> build_discriminator(32, norm="layer", dim=8)(np.zeros((2, 32, 32, 3), "float32")).shape
    TensorShape([2, 1])
    """
    steps = check_size(size)
    check_norm(norm)
    _positive_int("dim", dim)
    images = keras.Input((size, size, 3), name="images")
    x = _apply(images, keras.layers.Conv2D(dim, 4, strides=2, padding="same", name="down0_conv"),
               keras.layers.LeakyReLU(0.2, name="down0_lrelu"))
    for i in range(1, steps):
        width = min(dim * 2 ** i, dim * 8)
        x = _apply(x, keras.layers.Conv2D(width, 4, strides=2, padding="same", use_bias=norm == "none",
                                          name=f"down{i}_conv"),
                   normalization(norm, f"down{i}_norm"), keras.layers.LeakyReLU(0.2, name=f"down{i}_lrelu"))
    x = keras.layers.Conv2D(1, 4, strides=1, padding="valid", name="logit_conv")(x)
    logits = keras.layers.Activation("linear", dtype=output_dtype(), name="logit")(keras.layers.Flatten()(x))
    return keras.Model(images, logits, name=name or f"discriminator_{size}px_{norm}")
