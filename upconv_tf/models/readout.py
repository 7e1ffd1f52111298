"""The paper's readout of a spectrum, beside the package's metrics (Durall et al., CVPR 2020, Fig. 1, 5, 7, 8).

The paper (and its ``Visualization.ipynb``) reads a generator's spectrum like this: the *reference* profile
of every image (ring means of ``20 ln|F|`` over integer radii up to the corners of the spectrum, first and last
radius dropped: :func:`upconv_tf.spectral.azimuthal_integral` with ``mode="reference"``), min-max normalised
per image, then the mean +- 1 std over images, real in red and each generator in its colour. The corners
(radius >= N/2, about a quarter of the coefficients) are where the replicas of a transposed convolution sit;
the ``"centered"`` rings stop at N/2 and leave them out.

This module gives that readout as numbers:

* :func:`band_fraction`: the fraction of bins where the generated *mean* profile lies inside the real
  mean +- 1 std;
* :func:`real_floor`: the spectral distance (:func:`upconv_tf.metrics.spectral_distance`) between two disjoint
  draws of real images, the noise floor of that distance;
* :func:`paper_readout`: both, plus the spectral distance of the generated images, and the verdict
  ``matches`` = at least :data:`BAND_FRACTION` of the bins inside the band *and* a distance within
  :data:`FLOOR_MULTIPLE` x the floor;
* :func:`reference_hf_gap`: the absolute high-frequency power gap (dB, generated - real) on the reference
  radii, for the upper quarter of the radii below N/2 and for the corners apart;
* :func:`plot_readout`: the plot in the official style.

Read it only for models that passed :mod:`upconv_tf.models.sanity`.
"""

from __future__ import annotations

import os

import numpy as np

from upconv_tf import spectral
from upconv_tf.errors import ArgumentError

MODE = "reference"
BAND_FRACTION = 0.9
FLOOR_MULTIPLE = 3.0
# 20 ln|F| -> 20 log10|F| (dB)
_DB_PER_UNIT = 1.0 / np.log(10.0)
# The notebook's colours: real first, then one per generator.
COLORS = ("red", "blue", "green", "black", "orange", "purple", "brown", "gray")


def reference_profiles(images, normalize="minmax") -> np.ndarray:
    """(N, bins) reference profiles, min-max normalised per image by default (float64)."""
    return np.asarray(spectral.azimuthal_integral(images, mode=MODE, normalize=normalize), np.float64)


def reference_radii(height: int, width: int) -> np.ndarray:
    """Radius (px from the centre of the shifted spectrum) of each reference bin: bin k is radius k + 1.

    The published code averages over every integer radius ``int(hypot(x - cx, y - cy))``; all of them are
    occupied, and the first (0) and last are dropped.
    """
    return np.arange(1, spectral.num_bins(height, width, MODE) + 1, dtype=np.int64)


def _profiles(name, data):
    profiles = np.asarray(data, np.float64)
    if profiles.ndim == 4:
        profiles = reference_profiles(profiles)
    if profiles.ndim != 2 or len(profiles) < 2:
        raise ArgumentError(name, f"must be images (N, H, W, C) or profiles (N, bins) with N >= 2. "
                                  f"Received: shape={np.shape(data)}")
    return profiles


def band_fraction(real, fake) -> float:
    """Fraction of bins where the mean ``fake`` profile lies inside the real mean +- 1 std.

    ``real`` and ``fake`` are images (N, H, W, C) or min-max reference profiles (N, bins).
    """
    real, fake = _profiles("real", real), _profiles("fake", fake)
    if real.shape[1] != fake.shape[1]:
        raise ArgumentError("real", f"and `fake` must have the same bins. Received: {real.shape[1]} and {fake.shape[1]}", mentions=("fake",))
    return float(np.mean(np.abs(fake.mean(0) - real.mean(0)) <= real.std(0)))


def real_floor(real, reference=None, seed: int = 0) -> float:
    """Spectral distance between two disjoint draws of real images: ``real`` and ``reference``, or two
    random halves of ``real`` when ``reference`` is None."""
    from upconv_tf.metrics import spectral_distance

    real = np.asarray(real)
    if reference is None:
        if len(real) < 4:
            raise ArgumentError("real", f"needs at least 4 images to be split in two. Received: {len(real)}")
        order = np.random.default_rng(seed).permutation(len(real))
        real, reference = real[order[: len(real) // 2]], real[order[len(real) // 2:]]
    return spectral_distance(real, reference, mode=MODE)


def reference_hf_gap(real, fake) -> dict:
    """Absolute high-frequency gap on the reference radii, in dB of ``|F|`` (generated minus real).

    ``below_half``: mean over the radii in [3N/8, N/2) (the upper quarter of the rings that fit in the
    image's inscribed circle); ``corners``: mean over the radii >= N/2 (N = the shorter side). Positive:
    too much high-frequency power (transposed convolutions), negative: too little (interpolation). Both sets
    must share a value range.
    """
    real, fake = np.asarray(real), np.asarray(fake)
    if real.shape[1:3] != fake.shape[1:3]:
        raise ArgumentError("real", f"and `fake` must have the same image size. Received: {real.shape} and {fake.shape}", mentions=("fake",))
    height, width = real.shape[1:3]
    gap = (reference_profiles(fake, None).mean(0) - reference_profiles(real, None).mean(0)) * _DB_PER_UNIT
    radii, half = reference_radii(height, width), min(height, width) / 2.0
    upper = (radii >= 0.75 * half) & (radii < half)
    corners = radii >= half
    return {"below_half_db": float(gap[upper].mean()), "corners_db": float(gap[corners].mean()),
            "radii_below_half": [int(radii[upper][0]), int(radii[upper][-1])],
            "radii_corners": [int(radii[corners][0]), int(radii[corners][-1])]}


def paper_readout(real, fake, reference=None, band: float = BAND_FRACTION, floor_multiple: float = FLOOR_MULTIPLE,
                  seed: int = 0) -> dict:
    """The paper's readout of ``fake`` against ``real`` images (same size and value range).

    Parameters
    ----------
    real, fake : array_like
        (N, H, W, C) images.
    reference : array_like, optional
        A second, disjoint draw of real images for the floor (default: two halves of ``real``).
    band, floor_multiple : float
        Verdict thresholds: ``matches`` needs ``bins_in_band >= band`` and
        ``spectral_distance <= floor_multiple * real_floor``.

    Returns
    -------
    dict
        ``bins_in_band`` (fraction), ``spectral_distance``, ``real_floor``, ``distance_over_floor``,
        ``hf_gap`` (:func:`reference_hf_gap`), ``matches`` (bool), and the mean / std profiles
        (``real_mean``, ``real_std``, ``fake_mean``, ``fake_std``, lists).
    """
    from upconv_tf.metrics import spectral_distance

    real, fake = np.asarray(real), np.asarray(fake)
    real_profiles, fake_profiles = reference_profiles(real), reference_profiles(fake)
    inside = band_fraction(real_profiles, fake_profiles)
    distance = spectral_distance(None, fake, mode=MODE, real_profile=real_profiles.mean(0).astype(np.float32))
    floor = real_floor(real, reference, seed)
    ratio = distance / floor if floor > 0 else float("inf")
    return {
        "bins_in_band": inside, "spectral_distance": distance, "real_floor": floor, "distance_over_floor": ratio,
        "hf_gap": reference_hf_gap(real, fake),
        "matches": bool(inside >= band and distance <= floor_multiple * floor),
        "real_mean": real_profiles.mean(0).tolist(), "real_std": real_profiles.std(0).tolist(),
        "fake_mean": fake_profiles.mean(0).tolist(), "fake_std": fake_profiles.std(0).tolist(),
    }


def plot_readout(sets: dict, path, title: str | None = None) -> str:
    """Plot ``{label: images or min-max reference profiles}`` in the style of the paper's figures.

    The first entry is the real set (red); each curve is the mean min-max reference profile with a +- 1 std
    band, x in reference radii (a dotted line marks N/2, where the corners start). Returns ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not sets:
        raise ArgumentError("sets", "is empty: give at least the real images.")
    figure, axis = plt.subplots(figsize=(15, 9))
    half = None
    for (label, data), color in zip(sets.items(), COLORS * (len(sets) // len(COLORS) + 1)):
        if np.ndim(data) == 4:
            half = min(np.shape(data)[1:3]) / 2.0
        profiles = _profiles(label, data)
        x = np.arange(1, profiles.shape[1] + 1)
        mean, std = profiles.mean(0), profiles.std(0)
        axis.plot(x, mean, alpha=0.5, color=color, label=label, linewidth=2.0)
        axis.fill_between(x, mean - std, mean + std, color=color, alpha=0.2)
    if half is not None:
        axis.axvline(half, color="gray", linestyle=":", linewidth=1.5)
    axis.set_xlabel("Spatial Frequency", fontsize=25)
    axis.set_ylabel("Power Spectrum", fontsize=25)
    axis.tick_params(axis="x", labelsize=20)
    axis.tick_params(axis="y", labelsize=20)
    if title:
        axis.set_title(title, fontsize=22)
    axis.legend(loc="best", prop={"size": 20})
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(os.fspath(path))), exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return os.fspath(path)
