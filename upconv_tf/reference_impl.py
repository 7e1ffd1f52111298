"""An independent re-implementation of the published UpConv / DeepFakeDetection pipeline.

Written from the published code (``radialProfile.azimuthalAverage`` and ``train_spectrum.py``), one image
at a time, full complex FFT, fftshift and argsort, so that tests and benchmarks compare our vectorised
half-plane code against the algorithm as it was published. One file shared by ``tests/`` (through the
``tests/reference_impl.py`` re-export), ``experiments/`` and ``benchmarks/``; not for production use
(``upconv_tf.spectral.azimuthal_integral(..., mode="reference")`` computes the same, batched and faster).
"""

import numpy as np


def rgb2gray(rgb):
    return 0.2989 * rgb[..., 0] + 0.5870 * rgb[..., 1] + 0.1140 * rgb[..., 2]


def azimuthal_average(image, center=None):
    y, x = np.indices(image.shape)
    if not center:
        center = np.array([(x.max() - x.min()) / 2.0, (y.max() - y.min()) / 2.0])
    r = np.hypot(x - center[0], y - center[1])
    ind = np.argsort(r.flat)
    r_sorted = r.flat[ind]
    i_sorted = image.flat[ind]
    r_int = r_sorted.astype(int)
    deltar = r_int[1:] - r_int[:-1]
    rind = np.where(deltar)[0]
    nr = rind[1:] - rind[:-1]
    csim = np.cumsum(i_sorted, dtype=float)
    tbin = csim[rind[1:]] - csim[rind[:-1]]
    return tbin / nr


def reference_profile(image, minmax=False):
    """One (H, W, 3) or (H, W) image -> the published 1-D spectrum."""
    gray = rgb2gray(image) if image.ndim == 3 else image
    f = np.fft.fftshift(np.fft.fft2(gray))
    f = f + 1e-8
    magnitude = 20 * np.log(np.abs(f))
    profile = azimuthal_average(magnitude)
    if minmax:
        profile = (profile - profile.min()) / (profile.max() - profile.min())
    return profile
