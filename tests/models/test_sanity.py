"""Sanity gates and the paper's readout: numbers from arrays that say whether a model trained, and how its
spectrum reads the paper's way."""

import numpy as np
import pytest

from upconv_tf.models import readout, sanity


@pytest.fixture(scope="module")
def real():
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(32, 96, seed=9).images


def test_spread_and_diversity_are_what_they_say(rng):
    images = rng.uniform(0, 1, (10, 8, 8, 3))
    assert sanity.pixel_spread(images) == pytest.approx(np.mean([im.std() for im in images]))
    assert sanity.pixel_spread(images * 0.5) == pytest.approx(0.5 * sanity.pixel_spread(images))
    assert sanity.diversity(np.repeat(images[:1], 10, axis=0)) == 0.0
    pairs = [np.sqrt(np.mean((a - b) ** 2)) for i, a in enumerate(images) for j, b in enumerate(images) if i != j]
    assert sanity.diversity(images, pairs=20000) == pytest.approx(np.mean(pairs), rel=0.02)
    assert sanity.diversity(images) == sanity.diversity(images)  # seeded pairs


def test_gan_gates_pass_real_images_and_catch_each_failure(real, rng):
    good = sanity.gan_sanity(real[::-1], real, d_loss=0.6)
    assert good["status"] == "trained" and all(good["checks"].values()) and good["reasons"] == []
    assert good["pixel_spread_ratio"] == pytest.approx(1.0) and good["diversity_ratio"] == pytest.approx(1.0, abs=0.1)
    collapsed = sanity.gan_sanity(real[::-1], real, d_loss=0.01)
    assert collapsed["status"] == "untrained" and collapsed["checks"]["discriminator"] is False
    assert "discriminator won" in collapsed["reasons"][0]
    flat = sanity.gan_sanity(np.full_like(real, 0.5) + rng.normal(0, 0.01, real.shape), real, d_loss=0.6)
    assert flat["checks"]["pixel_spread"] is False and flat["status"] == "untrained"
    noise = sanity.gan_sanity(rng.uniform(0, 1, real.shape), real, d_loss=0.6)
    assert noise["checks"]["pixel_spread"] is False  # saturated noise: far more spread than photos
    same = sanity.gan_sanity(np.repeat(real[:1], len(real), axis=0), real, d_loss=0.6)
    assert same["checks"]["diversity"] is False and same["checks"]["discriminator"] is True
    # Stuck at tanh's limits: black, white and pure-colour squares; spread near real, diversity above it.
    stuck = rng.choice([0.0, 1.0], size=(len(real), 1, 1, 3)) * np.ones_like(real)
    stuck[::3] = real[::3]
    report = sanity.gan_sanity(stuck, real, d_loss=0.6)
    assert report["checks"]["saturation"] is False and report["checks"]["diversity"] is True
    assert "saturated" in report["reasons"][-1] and report["saturation"] > 0.5
    assert "discriminator" not in sanity.gan_sanity(real, real, d_loss=None)["checks"]
    # A training run that failed its own gates stays untrained, whatever its samples look like here.
    inherited = sanity.gan_sanity(real[::-1], real, d_loss=None, training_reasons=["diversity 0.10 < 0.5 of real"])
    assert inherited["status"] == "untrained" and all(inherited["checks"].values())
    assert inherited["reasons"] == ["training run: diversity 0.10 < 0.5 of real"]


def test_autoencoder_gates(real, rng):
    baseline = sanity.block_mean_baseline(real)
    assert baseline.shape == real.shape
    assert sanity.autoencoder_sanity(real, real)["status"] == "trained"  # perfect reconstruction
    report = sanity.autoencoder_sanity(baseline, real)
    assert report["mse"] == pytest.approx(report["baseline_mse"]) and report["checks"]["reconstruction"]
    noisy = np.clip(baseline + rng.normal(0, 0.1, real.shape), 0, 1)  # what an untrained unit does, and worse
    report = sanity.autoencoder_sanity(noisy, real)
    assert report["checks"]["reconstruction"] is False and report["status"] == "untrained"
    assert "block-mean baseline" in report["reasons"][0]
    assert sanity.autoencoder_sanity(np.zeros_like(real), real)["checks"]["pixel_spread"] is False


@pytest.mark.parametrize("bad", [np.zeros((1, 8, 8, 3)), np.zeros((4, 8, 8)), np.full((2, 4, 4, 3), np.nan)])
def test_bad_arrays_are_refused(bad):
    with pytest.raises(ValueError, match="Received"):
        sanity.pixel_spread(bad)


def test_reference_radii_are_the_published_integer_radii():
    from upconv_tf import spectral

    for height, width in ((32, 32), (64, 64), (24, 40)):
        y, x = np.indices((height, width))
        radius = np.hypot(x - (width - 1) / 2, y - (height - 1) / 2).astype(int)
        np.testing.assert_array_equal(readout.reference_radii(height, width), np.unique(radius)[1:-1])
        assert len(readout.reference_radii(height, width)) == spectral.num_bins(height, width, "reference")


def test_readout_of_real_against_real_matches_and_of_blur_and_noise_does_not(real, rng):
    half = len(real) // 2
    same = readout.paper_readout(real[:half], real[half:])
    assert same["bins_in_band"] == 1.0 and same["matches"]
    blurred = (real + np.roll(real, 1, axis=1) + np.roll(real, 1, axis=2) + np.roll(real, (1, 1), axis=(1, 2))) / 4
    blur = readout.paper_readout(real[:half], blurred[half:])
    assert not blur["matches"] and blur["hf_gap"]["corners_db"] < -3  # interpolation-like: missing HF power
    noisy = readout.paper_readout(real[:half], np.clip(real[half:] + rng.normal(0, 0.1, real[half:].shape), 0, 1))
    assert not noisy["matches"] and noisy["hf_gap"]["corners_db"] > 3  # replica-like: too much HF power
    assert noisy["hf_gap"]["radii_corners"] == [16, 20] and noisy["hf_gap"]["radii_below_half"] == [12, 15]
    assert len(same["real_mean"]) == 20 and same["real_floor"] > 0


def test_band_fraction_counts_bins_inside_one_std():
    real = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])  # mean (0.5, 0.5, 1), std (0.5, 0.5, 0)
    fake = np.array([[0.9, 0.2, 0.9], [0.9, 0.2, 0.9]])  # mean (0.9, 0.2, 0.9)
    assert readout.band_fraction(real, fake) == pytest.approx(2 / 3)


def test_plot_in_the_official_style(real, tmp_path):
    path = readout.plot_readout({"real": real[:48], "generated": real[48:]}, tmp_path / "readout.png", title="t")
    assert (tmp_path / "readout.png").stat().st_size > 10000 and path.endswith("readout.png")
    with pytest.raises(ValueError, match="empty"):
        readout.plot_readout({}, tmp_path / "x.png")
