import numpy as np
import pytest

from upconv_tf import spectral
from upconv_tf.fakes import KINDS, downsample2, make_fakes


@pytest.fixture(scope="module")
def crops():
    from upconv_tf.datasets import bundled_crops

    return bundled_crops(size=64, count=64, seed=5).images


@pytest.mark.parametrize("kind", KINDS)
def test_fakes_keep_shape_range_and_content(crops, kind):
    fakes = make_fakes(crops, kind, seed=0)
    assert fakes.shape == crops.shape and fakes.dtype == np.float32
    assert fakes.min() >= 0.0 and fakes.max() <= 1.0
    # Still the same picture: much closer to its own source than to another crop.
    own = np.abs(fakes - crops).mean(axis=(1, 2, 3))
    other = np.abs(fakes - np.roll(crops, 1, axis=0)).mean(axis=(1, 2, 3))
    assert np.median(own) < 0.5 * np.median(other)
    # Flat areas keep their brightness: the mean colour of each image barely moves.
    assert np.abs(fakes.mean(axis=(1, 2)) - crops.mean(axis=(1, 2))).max() < 0.05


def test_fakes_are_seeded(crops):
    a = make_fakes(crops[:8], "transconv", seed=3)
    np.testing.assert_array_equal(a, make_fakes(crops[:8], "transconv", seed=3))
    assert np.abs(a - make_fakes(crops[:8], "transconv", seed=4)).max() > 1e-3


def _tail(images, mode):
    return spectral.azimuthal_integral(images, mode=mode)[:, -6:].mean()


def test_interpolation_fakes_lose_high_frequencies(crops):
    # Without perturbation the interpolation kinds are exact interpolators: a low-pass (paper, Fig. 1).
    real = _tail(crops, "centered")
    for kind in ("bilinear", "nearest"):
        assert _tail(make_fakes(crops, kind, strength=0.0), "centered") < real
    assert _tail(make_fakes(crops, "bilinear", strength=0.0), "centered") < real - 3.0


@pytest.mark.parametrize("kind", ["transconv", "zero"])
def test_perturbed_strided_kinds_add_high_frequency_replicas(crops, kind):
    # The reference profile runs out to the spectrum's corners, where the strided kinds' replicas sit.
    perturbed = _tail(make_fakes(crops, kind, seed=0), "reference")
    assert perturbed > _tail(make_fakes(crops, kind, strength=0.0), "reference") + 10.0


def test_transconv_perturbation_makes_a_checkerboard(crops):
    # The strided kinds' phase imbalance shows at the (pi, pi) frequency: the spectrum's corner.
    def corner(images):
        gray = spectral.to_gray(images)
        return np.abs(np.fft.fft2(gray - gray.mean(axis=(1, 2), keepdims=True))[:, 32, 32]).mean()

    assert corner(make_fakes(crops, "transconv", seed=0)) > 3 * corner(make_fakes(crops, "transconv", strength=0.0))


def test_odd_sizes_gray_and_single_image(rng):
    odd = rng.random((3, 33, 27, 3)).astype(np.float32)
    assert make_fakes(odd, "nearest").shape == odd.shape
    gray = rng.random((2, 16, 16, 1)).astype(np.float32)
    assert make_fakes(gray, "zero").shape == gray.shape
    assert make_fakes(odd[0], "bilinear").shape == odd[0].shape


def test_downsample2_is_a_box_average():
    image = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    np.testing.assert_allclose(downsample2(image)[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "bicubic"}, "kind"),
    ({"strength": -1.0}, "strength"),
])
def test_bad_arguments(crops, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_fakes(crops[:2], **kwargs)


def test_bad_images(rng):
    with pytest.raises(ValueError, match="images"):
        make_fakes(rng.random((2, 16, 16, 2)))
    with pytest.raises(ValueError, match="NaN"):
        make_fakes(np.full((1, 8, 8, 3), np.nan))
