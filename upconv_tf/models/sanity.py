"""Sanity gates: did a model train at all? Read a spectrum only from a model that passes them.

A GAN whose discriminator "won" (its loss near 0) or whose generator collapsed to one pattern can still
produce a spectrum, and a spectral detector or the paper's readout would happily give it a verdict. These
gates, computed from arrays, say "untrained" instead:

* **discriminator not collapsed**: the last-epoch discriminator loss (the plain loss of the adversarial
  objective, e.g. the DCGAN BCE ``-log D(x) - log(1 - D(G(z)))``) is at least :data:`D_LOSS_FLOOR`;
* **pixel spread**: the mean over images of each image's pixel standard deviation, samples over real, is
  within :data:`SPREAD_TOLERANCE` of 1 (flat patches are far below, saturated noise far above);
* **diversity**: the mean RMS distance between random pairs of samples, over the same for real images,
  is at least :data:`MIN_DIVERSITY` (a collapsed generator draws the same image for every latent);
* **saturation**: the fraction of values at the ends of the range (within 1/255, i.e. 0 or 255 in 8 bits) exceeds
  the real images' by at most :data:`MAX_SATURATION_EXCESS`. A generator stuck at tanh's limits draws black,
  white and pure-colour squares: their mean spread can look right and their diversity high (measured: 60 % of
  values saturated against 2.5 % for real crops, diversity 1.6 x real, d_loss falling to 0.1).

For an auto-encoder the adversarial gate is replaced by: the reconstruction MSE is at most
``1 + MSE_TOLERANCE`` times that of the inputs' own 2 x 2 block means repeated (the trivial model that keeps the
down-scaled image and repeats its pixels; an untrained unit is ~10x worse, and a spectral term may trade a little
MSE for the spectrum: measured +8 to +13 %), and their pixel spread is within the tolerance.

Samples and real images must share a value range (``value_range``, [0, 1] by default).

Example:

>>> rng = np.random.default_rng(0)
>>> real = rng.uniform(0, 1, (64, 8, 8, 3))
>>> gan_sanity(real[::-1], real, d_loss=0.9)["status"]
'trained'
>>> gan_sanity(np.repeat(real[:1], 64, axis=0), real, d_loss=0.9)["reasons"]
['diversity 0.00 < 0.5 of real']
"""

from __future__ import annotations

import numpy as np

from upconv_tf.errors import ArgumentError

D_LOSS_FLOOR = 0.05
SPREAD_TOLERANCE = 0.25
MIN_DIVERSITY = 0.5
MAX_SATURATION_EXCESS = 0.2
MSE_TOLERANCE = 0.25
DIVERSITY_PAIRS = 2048
TRAINED, UNTRAINED = "trained", "untrained"


def _images(name, images):
    images = np.asarray(images, np.float64)
    if images.ndim != 4 or len(images) < 2:
        raise ArgumentError(name, f"must be a batch (N, H, W, C) with N >= 2. Received: shape={images.shape}")
    if not np.all(np.isfinite(images)):
        raise ArgumentError(name, f"holds NaN or infinite values. Received: shape={images.shape}")
    return images


def pixel_spread(images) -> float:
    """Mean over images of each image's pixel standard deviation (over all its pixels and channels)."""
    images = _images("images", images)
    return float(np.mean(np.std(images.reshape(len(images), -1), axis=1)))


def diversity(images, pairs: int = DIVERSITY_PAIRS, seed: int = 0) -> float:
    """Mean RMS distance between ``pairs`` random pairs of distinct images (0: all images alike).

    The pairs are a seeded draw, so the same images always give the same number.
    """
    images = _images("images", images)
    if isinstance(pairs, bool) or not isinstance(pairs, (int, np.integer)) or pairs < 1:
        raise ArgumentError("pairs", f"must be a positive integer. Received: pairs={pairs!r}")
    rng = np.random.default_rng(seed)
    first = rng.integers(0, len(images), pairs)
    second = (first + rng.integers(1, len(images), pairs)) % len(images)  # never the same image
    flat = images.reshape(len(images), -1)
    return float(np.mean(np.sqrt(np.mean((flat[first] - flat[second]) ** 2, axis=1))))


def saturation(images, value_range=(0.0, 1.0)) -> float:
    """Fraction of values within 1/255 of the range ends (0 or 255 of an 8-bit image)."""
    images = _images("images", images)
    low, high = value_range
    margin = (high - low) / 255.0
    return float(np.mean((images <= low + margin) | (images >= high - margin)))


def _ratio(value, reference):
    return float(value / reference) if reference > 0 else float("inf") if value > 0 else 1.0


def gan_sanity(samples, real, d_loss, d_loss_floor: float = D_LOSS_FLOOR,
               spread_tolerance: float = SPREAD_TOLERANCE, min_diversity: float = MIN_DIVERSITY,
               max_saturation_excess: float = MAX_SATURATION_EXCESS, value_range=(0.0, 1.0),
               training_reasons=()) -> dict:
    """The gates of a GAN run, from its samples, real images and last-epoch discriminator loss.

    Parameters
    ----------
    samples, real : array_like
        (N, H, W, C) generated and real images in ``value_range`` (default [0, 1]).
    d_loss : float or None
        Last-epoch discriminator loss (None: not known, the gate is not checked).
    d_loss_floor, spread_tolerance, min_diversity, max_saturation_excess : float
        Thresholds (see the module docstring).
    value_range : (float, float)
        The images' range, for the saturation gate.
    training_reasons : sequence of str
        Gates the training run failed (its ``metrics.json``, :func:`upconv_tf.models.training.recorded_gates`):
        each is a reason here too (prefixed ``"training run: "``), and the status is ``"untrained"``.

    Returns
    -------
    dict
        ``d_loss``, ``pixel_spread`` / ``pixel_spread_real`` / ``pixel_spread_ratio``, ``diversity`` /
        ``diversity_real`` / ``diversity_ratio``, ``saturation`` / ``saturation_real``, ``checks`` (gate -> bool),
        ``reasons`` (one line per failed gate), ``thresholds`` (the arguments above) and ``status``:
        ``"trained"`` when every gate passes, else ``"untrained"``.
    """
    samples, real = _images("samples", samples), _images("real", real)
    spread, spread_real = pixel_spread(samples), pixel_spread(real)
    varied, varied_real = diversity(samples), diversity(real)
    report = {
        "d_loss": None if d_loss is None else float(d_loss),
        "pixel_spread": spread, "pixel_spread_real": spread_real, "pixel_spread_ratio": _ratio(spread, spread_real),
        "diversity": varied, "diversity_real": varied_real, "diversity_ratio": _ratio(varied, varied_real),
        "saturation": saturation(samples, value_range), "saturation_real": saturation(real, value_range),
    }
    checks, reasons = {}, []
    if d_loss is not None:
        checks["discriminator"] = bool(np.isfinite(d_loss) and d_loss >= d_loss_floor)
        if not checks["discriminator"]:
            reasons.append(f"discriminator won: d_loss {float(d_loss):.3g} < {d_loss_floor}")
    checks["pixel_spread"] = bool(abs(report["pixel_spread_ratio"] - 1.0) <= spread_tolerance)
    if not checks["pixel_spread"]:
        reasons.append(f"pixel spread {report['pixel_spread_ratio']:.2f} x real, outside 1 +- {spread_tolerance}")
    checks["diversity"] = bool(report["diversity_ratio"] >= min_diversity)
    if not checks["diversity"]:
        reasons.append(f"diversity {report['diversity_ratio']:.2f} < {min_diversity} of real")
    checks["saturation"] = bool(report["saturation"] - report["saturation_real"] <= max_saturation_excess)
    if not checks["saturation"]:
        reasons.append(f"{report['saturation']:.0%} of values saturated (real {report['saturation_real']:.0%})")
    reasons += [f"training run: {reason}" for reason in training_reasons]
    thresholds = {"d_loss_floor": d_loss_floor, "spread_tolerance": spread_tolerance,
                  "min_diversity": min_diversity, "max_saturation_excess": max_saturation_excess}
    report.update(checks=checks, reasons=reasons, thresholds=thresholds,
                  status=TRAINED if all(checks.values()) and not training_reasons else UNTRAINED)
    return report


def block_mean_baseline(images) -> np.ndarray:
    """The trivial x2 auto-encoder: 2 x 2 block means repeated back to 2 x 2 blocks (even H, W)."""
    images = np.asarray(images, np.float64)
    n, height, width, channels = images.shape
    if height % 2 or width % 2:
        raise ArgumentError("images", f"must have an even height and width. Received: shape={images.shape}")
    blocks = images.reshape(n, height // 2, 2, width // 2, 2, channels).mean(axis=(2, 4))
    return np.repeat(np.repeat(blocks, 2, axis=1), 2, axis=2)


def autoencoder_sanity(reconstructions, inputs, spread_tolerance: float = SPREAD_TOLERANCE,
                       mse_tolerance: float = MSE_TOLERANCE) -> dict:
    """Gates of an auto-encoder run: it reconstructs about as well as the trivial x2 model or better, and keeps
    the inputs' pixel spread.

    Returns a dict with ``mse``, ``baseline_mse`` (:func:`block_mean_baseline`), ``pixel_spread_ratio``,
    ``checks``, ``reasons``, ``thresholds`` and ``status`` like :func:`gan_sanity`.
    """
    reconstructions, inputs = _images("reconstructions", reconstructions), _images("inputs", inputs)
    if reconstructions.shape != inputs.shape:
        raise ArgumentError("reconstructions", f"must have the inputs' shape {inputs.shape}. "
                                               f"Received: shape={reconstructions.shape}")
    mse = float(np.mean((reconstructions - inputs) ** 2))
    baseline = float(np.mean((block_mean_baseline(inputs) - inputs) ** 2))
    ratio = _ratio(pixel_spread(reconstructions), pixel_spread(inputs))
    checks = {"reconstruction": mse <= (1.0 + mse_tolerance) * baseline,
              "pixel_spread": abs(ratio - 1.0) <= spread_tolerance}
    reasons = []
    if not checks["reconstruction"]:
        reasons.append(f"reconstruction MSE {mse:.3g} > {1 + mse_tolerance:g} x {baseline:.3g} of the 2 x 2 "
                       "block-mean baseline")
    if not checks["pixel_spread"]:
        reasons.append(f"pixel spread {ratio:.2f} x inputs, outside 1 +- {spread_tolerance}")
    return {"mse": mse, "baseline_mse": baseline, "pixel_spread_ratio": ratio, "checks": checks,
            "reasons": reasons, "thresholds": {"spread_tolerance": spread_tolerance, "mse_tolerance": mse_tolerance},
            "status": TRAINED if all(checks.values()) else UNTRAINED}


# A refined image whose SSIM to its input is below this no longer shows the same content. The identity scores 1;
# removing the checkerboard of the bundled transposed-convolution fakes entirely scores ~0.5 (measured with a
# magnitude oracle); the paper's own refinements keep the image recognisably the same.
MIN_CONTENT_SSIM = 0.7


def refiner_sanity(refined, inputs, ssim, min_content_ssim: float = MIN_CONTENT_SSIM,
                   spread_tolerance: float = SPREAD_TOLERANCE,
                   max_saturation_excess: float = MAX_SATURATION_EXCESS) -> dict:
    """Gates of a spectrum refiner: its outputs keep the content of its inputs.

    Parameters
    ----------
    refined, inputs : array_like
        (N, H, W, C) refined images and the images they were made from, in [0, 1].
    ssim : array_like
        (N,) SSIM of each refined image to its input (:func:`upconv_tf.metrics.structural_similarity`).
    min_content_ssim, spread_tolerance, max_saturation_excess : float
        Thresholds: mean SSIM at least ``min_content_ssim``; pixel spread within ``1 +- spread_tolerance`` of the
        inputs'; saturated values at most ``max_saturation_excess`` above the inputs'.

    Returns
    -------
    dict
        ``content_ssim``, ``pixel_spread_ratio``, ``saturation`` / ``saturation_inputs``, ``checks``, ``reasons``,
        ``thresholds`` and ``status`` (``"trained"`` or ``"untrained"``) like :func:`gan_sanity`.
    """
    refined, inputs = _images("refined", refined), _images("inputs", inputs)
    if refined.shape != inputs.shape:
        raise ValueError(f"`refined` must have the inputs' shape {inputs.shape}. Received: shape={refined.shape}")
    ssim = np.asarray(ssim, np.float64)
    if ssim.shape != (len(inputs),) or not np.all(np.isfinite(ssim)):
        raise ValueError(f"`ssim` must hold one finite value per image ({len(inputs)}). Received: shape={ssim.shape}")
    report = {"content_ssim": float(ssim.mean()),
              "pixel_spread_ratio": _ratio(pixel_spread(refined), pixel_spread(inputs)),
              "saturation": saturation(refined), "saturation_inputs": saturation(inputs)}
    checks = {"content": report["content_ssim"] >= min_content_ssim,
              "pixel_spread": abs(report["pixel_spread_ratio"] - 1.0) <= spread_tolerance,
              "saturation": report["saturation"] - report["saturation_inputs"] <= max_saturation_excess}
    reasons = []
    if not checks["content"]:
        reasons.append(f"content lost: SSIM to the inputs {report['content_ssim']:.3f} < {min_content_ssim}")
    if not checks["pixel_spread"]:
        reasons.append(f"pixel spread {report['pixel_spread_ratio']:.2f} x inputs, outside 1 +- {spread_tolerance}")
    if not checks["saturation"]:
        reasons.append(f"{report['saturation']:.0%} of values saturated (inputs {report['saturation_inputs']:.0%})")
    report.update(checks=checks, reasons=reasons,
                  thresholds={"min_content_ssim": min_content_ssim, "spread_tolerance": spread_tolerance,
                              "max_saturation_excess": max_saturation_excess},
                  status=TRAINED if all(checks.values()) else UNTRAINED)
    return report
