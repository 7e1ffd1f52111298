"""Property tests (hypothesis) of the spectral core, numpy path and Keras layer.

Each property is a fact about the definition, not a stored number:
* a constant image has power only at the zero frequency (centered bin 0 / reference: all at the epsilon floor);
* min-max profiles do not change with the brightness scale (and, in reference mode, offset); in centered
  mode an offset moves only bin 0, which is the DC term alone;
* the default (centered) profile is invariant to 90-degree rotations and flips, also for non-square images;
* the profile length is ``num_bins(H, W, mode)`` for every size from the minimum on, and matches the
  published pipeline for reference mode;
* the layer's gradient is finite for any finite input.
"""

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from upconv_tf import spectral
from upconv_tf.layers import AzimuthalIntegral
from upconv_tf.losses import spectral_bce

from reference_impl import reference_profile

FAST = settings(deadline=None, max_examples=30)
SIDES = st.integers(spectral.MIN_SIZE["reference"], 40)
SEEDS = st.integers(0, 2**32 - 1)
SCALES = st.floats(0.1, 100)
# The 1e-8 of the reference's log(|F| + 1e-8) shifts a bin by ~1e-8 / |scale * F|: a loose tolerance.
INVARIANCE_ATOL = 1e-5
CHANNELS = st.sampled_from([1, 3, 4])
DC_FLOOR_DB = 10 * np.log10(spectral.POWER_EPSILON)  # ring with no power, centered mode
REFERENCE_FLOOR = 20 * np.log(spectral.REFERENCE_EPSILON)  # ring with no power, reference mode


def both_paths(images, mode="centered", normalize=None):
    """(numpy profile, layer profile) of a (B, H, W, C) float64 batch (the layer keeps float64)."""
    numpy_profile = spectral.azimuthal_integral(images, mode=mode, normalize=normalize)
    layer_profile = AzimuthalIntegral(mode=mode, normalize=normalize)(images).numpy()
    assert layer_profile.dtype == np.float64
    return numpy_profile, layer_profile


def random_images(seed, height, width, channels=3, batch=2):
    return np.random.default_rng(seed).random((batch, height, width, channels))


@FAST
@given(height=SIDES, width=SIDES, value=st.floats(-10, 10).filter(lambda v: abs(v) > 1e-2), channels=CHANNELS)
def test_constant_image_has_power_only_at_dc(height, width, value, channels):
    images = np.full((1, height, width, channels), value)
    gray_value = value if channels == 1 else value * sum(spectral.GRAY_WEIGHTS)
    # Bin 0 is the DC term alone unless one side is over twice the other (then the first frequencies of
    # the long side also fall within half a bin of zero): the DC power is shared by counts[0] coefficients.
    count0 = spectral.bin_layout(height, width, "centered").counts[0]
    assert (count0 == 1) == (max(height, width) <= 2 * min(height, width))
    expected_dc = 10 * np.log10(gray_value**2 * height * width / count0 + spectral.POWER_EPSILON)
    for profile in both_paths(images):
        np.testing.assert_allclose(profile[0, 0], expected_dc, atol=1e-6)
        np.testing.assert_allclose(profile[0, 1:], DC_FLOOR_DB, atol=1e-3)
    for profile in both_paths(images, mode="reference"):  # the DC term is in the dropped first radius
        np.testing.assert_allclose(profile, REFERENCE_FLOOR, atol=0.05)
    # float32, as used in training: all non-DC bins far below the DC term.
    profile32 = AzimuthalIntegral()(images.astype("float32")).numpy()
    np.testing.assert_allclose(profile32[0, 0], expected_dc, atol=1e-3)
    assert np.all(profile32[0, 1:] < profile32[0, 0] - 50)


@FAST
@given(seed=SEEDS, height=SIDES, width=SIDES, scale=SCALES, channels=CHANNELS)
def test_minmax_profile_ignores_brightness_scale(seed, height, width, scale, channels):
    images = random_images(seed, height, width, channels)
    for mode in spectral.MODES:
        for base, scaled in zip(both_paths(images, mode, "minmax"), both_paths(images * scale, mode, "minmax")):
            np.testing.assert_allclose(scaled, base, atol=INVARIANCE_ATOL)


@FAST
@given(seed=SEEDS, height=SIDES, width=SIDES, scale=SCALES, offset=st.floats(-10, 10))
def test_reference_minmax_ignores_scale_and_offset(seed, height, width, scale, offset):
    images = random_images(seed, height, width)
    for base, changed in zip(both_paths(images, "reference", "minmax"),
                             both_paths(images * scale + offset, "reference", "minmax")):
        np.testing.assert_allclose(changed, base, atol=INVARIANCE_ATOL)


@FAST
@given(seed=SEEDS, height=SIDES, width=SIDES, offset=st.floats(-10, 10).filter(lambda v: abs(v) > 1e-2))
def test_centered_offset_changes_only_bin_zero(seed, height, width, offset):
    images = random_images(seed, height, width, channels=1)
    for base, shifted in zip(both_paths(images), both_paths(images + offset)):
        np.testing.assert_allclose(shifted[:, 1:], base[:, 1:], atol=1e-6)
        if max(height, width) <= 2 * min(height, width):  # bin 0 is the DC term alone: power m^2 * H * W
            mean = images.mean(axis=(1, 2, 3)) + offset
            np.testing.assert_allclose(shifted[:, 0], 10 * np.log10(mean**2 * height * width + 1e-12), atol=1e-6)


@FAST
@given(image=hnp.arrays(np.float64, st.tuples(st.integers(4, 24), st.integers(4, 24), CHANNELS),
                        elements=st.floats(-1, 1)))
def test_centered_profile_is_invariant_to_rotations_and_flips(image):
    images = image[None]
    variants = [np.rot90(images, k, axes=(1, 2)) for k in (1, 2, 3)]
    variants += [images[:, ::-1], images[:, :, ::-1], np.transpose(images, (0, 2, 1, 3))]
    base = both_paths(images)
    for variant in variants:
        for expected, got in zip(base, both_paths(np.ascontiguousarray(variant))):
            np.testing.assert_allclose(got, expected, atol=1e-6)


@FAST
@given(height=st.integers(1, 48), width=st.integers(1, 48), mode=st.sampled_from(spectral.MODES))
def test_bin_count_for_every_size(height, width, mode):
    images = np.random.default_rng(height * 100 + width).random((1, height, width, 3))
    if min(height, width) < spectral.MIN_SIZE[mode]:
        with pytest.raises(ValueError, match="at least"):
            spectral.azimuthal_integral(images, mode=mode)
        with pytest.raises(ValueError, match="at least"):
            AzimuthalIntegral(mode=mode)(images)
        return
    bins = spectral.num_bins(height, width, mode)
    assert bins >= 2
    if mode == "centered":
        assert bins == min(height, width) // 2
    else:  # the published code, one image at a time
        assert bins == len(reference_profile(images[0]))
    layer = AzimuthalIntegral(mode=mode)
    assert layer.compute_output_shape((None, height, width, 3)) == (None, bins)
    for profile in both_paths(images, mode):
        assert profile.shape == (1, bins)
        assert np.all(np.isfinite(profile))


@FAST
@given(image=hnp.arrays(np.float32, st.tuples(st.integers(6, 24), st.integers(6, 24), CHANNELS),
                        elements=st.floats(-1000, 1000, width=32)),
       mode=st.sampled_from(spectral.MODES), normalize=st.sampled_from(spectral.NORMALIZATIONS))
def test_gradients_are_finite_for_any_finite_input(image, mode, normalize):
    layer = AzimuthalIntegral(mode=mode, normalize=normalize)
    images = tf.constant(image[None])
    with tf.GradientTape() as tape:
        tape.watch(images)
        profiles = layer(images)
        loss = tf.reduce_sum(profiles)
        if normalize == "minmax":  # the paper's spectral loss, against a flat target
            loss += tf.reduce_sum(spectral_bce(profiles, tf.fill([profiles.shape[-1]], 0.5)))
    gradient = tape.gradient(loss, images).numpy()
    assert np.all(np.isfinite(profiles.numpy()))
    assert np.all(np.isfinite(gradient))
