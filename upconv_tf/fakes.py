"""Labelled "generated" images without a GAN: down-sample real images by 2, up-sample back with one of
the paper's up-convolution blocks.

Each kind runs one block of :mod:`upconv_tf.layers` (3 filters, one per colour channel) whose weights are
a sensible interpolation kernel plus a small seeded random perturbation, the way a trained generator's
last layer is "almost" an interpolator:

* ``"transconv"``: :class:`~upconv_tf.layers.TransposedConvUpsampling` (kernel 4, stride 2) initialised as
  bilinear interpolation (``[1, 3, 3, 1] / 4`` per axis). The perturbation makes the two output phases
  sum to different gains: a checkerboard, i.e. the high-frequency replicas the paper describes.
* ``"zero"``: zero insertion ("bed of nails") + 3 x 3 convolution initialised as bilinear interpolation
  (``[1, 2, 1] / 2`` per axis); perturbed the same way, it keeps replicas (Chandrasegaran's Z.1.3).
The perturbation has zero mean over each kernel's taps, so flat areas keep their brightness and colour.

* ``"nearest"`` / ``"bilinear"``: :class:`~upconv_tf.layers.InterpolationUpsampling` with its 3 x 3
  convolution initialised to the identity: the interpolation low-passes the image, so high frequencies
  are missing (the paper's Fig. 1).

Down-sampling is a 2 x 2 box average. Outputs keep the input shape (odd sides are padded by edge
replication and cropped back) and are clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np

from upconv_tf.errors import ArgumentError
from upconv_tf.spectral import array_batches

KINDS = ("transconv", "nearest", "bilinear", "zero")
_BILINEAR_4 = np.array([0.25, 0.75, 0.75, 0.25])
_BILINEAR_3 = np.array([0.5, 1.0, 0.5])
_IDENTITY_3 = np.array([0.0, 1.0, 0.0])


def downsample2(images: np.ndarray) -> np.ndarray:
    """2 x 2 box average of (N, H, W, C) images with even H and W."""
    n, height, width, channels = images.shape
    return images.reshape(n, height // 2, 2, width // 2, 2, channels).mean(axis=(2, 4))


def _kernel(kind, channels, strength, rng):
    """Per-channel interpolation kernel plus perturbation, in the layout of the kind's convolution."""
    taps = {"transconv": _BILINEAR_4, "zero": _BILINEAR_3}.get(kind, _IDENTITY_3)
    base = np.outer(taps, taps)
    size = len(taps)
    kernel = np.zeros((size, size, channels, channels))
    for c in range(channels):
        kernel[:, :, c, c] = base
    noise = rng.normal(0.0, strength * base.max(), kernel.shape)
    # Zero-mean over the taps: the gain on flat areas (brightness, colour) stays that of the input;
    # only the frequency response (and for strided kinds the phase balance) is perturbed.
    noise -= noise.mean(axis=(0, 1), keepdims=True)
    # Cross-channel taps get a tenth of the noise: textures keep their colours.
    noise *= np.where(np.eye(channels, dtype=bool), 1.0, 0.1)[None, None]
    return (kernel + noise).astype(np.float32)


def _block(kind, channels):
    from upconv_tf.layers import InterpolationUpsampling, TransposedConvUpsampling, ZeroInsertionUpsampling

    if kind == "transconv":
        return TransposedConvUpsampling(channels, kernel_size=4, strides=2, use_bias=False)
    if kind == "zero":
        return ZeroInsertionUpsampling(channels, kernel_size=3, use_bias=False)
    return InterpolationUpsampling(channels, interpolation=kind, kernel_size=3, use_bias=False)


def make_fakes(images, kind: str = "transconv", seed: int = 0, strength: float = 0.1,
               batch_size: int = 256) -> np.ndarray:
    """Make "generated" look-alikes of real images with one up-convolution kind.

    Parameters
    ----------
    images : array_like
        (N, H, W, C) or (H, W, C) images in [0, 1], C in {1, 3}; H, W >= 4.
    kind : {"transconv", "nearest", "bilinear", "zero"}
        The up-sampling block (module docstring).
    seed : int
        Seeds the kernel perturbation: the same seed gives the same "generator".
    strength : float
        Standard deviation of the perturbation relative to the largest kernel tap (0 gives a pure
        interpolator; the default 0.1 keeps the image recognisable and marks its spectrum, e.g. a faint
        checkerboard for the strided kinds).
    batch_size : int
        Images per block call.

    Returns
    -------
    numpy.ndarray
        float32 array of the input's shape, values in [0, 1].

    Examples
    --------
    >>> fakes = make_fakes(np.random.rand(4, 64, 64, 3), kind="bilinear")
    >>> fakes.shape, float(fakes.min()) >= 0.0
    ((4, 64, 64, 3), True)
    """
    if kind not in KINDS:
        raise ArgumentError("kind", f"must be one of {KINDS}. Received: kind={kind!r}")
    if not np.isfinite(strength) or strength < 0:
        raise ArgumentError("strength", f"must be a finite number >= 0. Received: strength={strength!r}")
    images = np.asarray(images, dtype=np.float32)
    single = images.ndim == 3
    if single:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or min(images.shape[1:3]) < 4:
        raise ArgumentError("images", f"must be (N, H, W, C) with C in {{1, 3}} and H, W >= 4. "
                                      f"Received: shape={images.shape}")
    if not np.all(np.isfinite(images)):
        raise ArgumentError("images", "holds NaN or infinite values.")
    _, height, width, channels = images.shape
    padded = np.pad(images, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    block = _block(kind, channels)
    block.build((None, padded.shape[1] // 2, padded.shape[2] // 2, channels))
    kernel = _kernel(kind, channels, strength, np.random.default_rng(seed))
    (block.kernel if kind == "transconv" else block.conv.kernel).assign(kernel)
    out = np.concatenate([np.clip(np.asarray(block(downsample2(batch)))[:, :height, :width], 0.0, 1.0)
                          for batch in array_batches(padded, batch_size)])
    return out[0] if single else out
