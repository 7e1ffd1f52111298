import numpy as np
import pytest

from upconv_tf import spectral

from reference_impl import reference_profile

SIZES = [(32, 32), (64, 64), (128, 128), (256, 256), (218, 178)]
PHOTOS = ["astronaut", "coffee", "grace_hopper", "hubble_deep_field", "brick"]


def _crop(photo, height, width):
    top = (photo.shape[0] - height) // 2
    left = (photo.shape[1] - width) // 2
    return photo[top:top + height, left:left + width].astype(np.float64) / 127.5 - 1.0


@pytest.mark.parametrize("height,width", SIZES)
@pytest.mark.parametrize("name", PHOTOS)
def test_reference_mode_matches_published_pipeline(photos, name, height, width):
    image = _crop(photos[name], height, width)
    expected = reference_profile(image)
    ours = spectral.azimuthal_integral(image, mode="reference")
    assert ours.shape == expected.shape
    assert np.abs(ours - expected).max() / np.abs(expected).max() < 1e-4


def test_reference_minmax_matches_published_loss_input(photos):
    image = _crop(photos["chelsea"], 128, 128)
    expected = reference_profile(image, minmax=True)
    ours = spectral.azimuthal_integral(image, mode="reference", normalize="minmax")
    assert np.abs(ours - expected).max() < 1e-4
    assert ours.min() == 0.0 and ours.max() == 1.0


@pytest.mark.parametrize("size,bins", [((32, 32), 20), ((64, 64), 43), ((128, 128), 88), ((256, 256), 179),
                                       ((1024, 1024), 722), ((218, 178), 139)])
def test_reference_bin_counts(size, bins):
    assert spectral.num_bins(*size, mode="reference") == bins


@pytest.mark.parametrize("size", [(4, 4), (5, 7), (64, 64), (65, 64), (218, 178), (100, 300), (1024, 1024)])
def test_centered_bin_count_is_half_the_short_side(size):
    assert spectral.num_bins(*size) == min(size) // 2


@pytest.mark.parametrize("size", [(8, 8), (9, 9), (16, 12), (13, 21)])
@pytest.mark.parametrize("mode", spectral.MODES)
def test_half_plane_layout_covers_the_full_plane(size, mode):
    """Every full-plane coefficient appears once: either itself or as the mirror of a half-plane one."""
    height, width = size
    layout = spectral.bin_layout(height, width, mode)
    assert len(layout.ids) == height * width
    full, count = spectral._full_plane_bins(height, width, mode)
    assert np.array_equal(np.bincount(layout.ids, minlength=count + 1), np.bincount(full.ravel(), minlength=count + 1))


def test_centered_mode_is_eq2_ring_mean_of_power(rng):
    """Brute force eq. (2) on the full complex spectrum: mean of |F|^2 on each ring around DC."""
    image = rng.random((24, 24))
    power = np.abs(np.fft.fft2(image)) ** 2 / image.size
    fy, fx = np.meshgrid(np.fft.fftfreq(24) * 24, np.fft.fftfreq(24) * 24, indexing="ij")
    radius = np.hypot(fy, fx)
    expected = [10 * np.log10(power[np.abs(radius - k) < 0.5].mean() + 1e-12) for k in range(12)]
    np.testing.assert_allclose(spectral.azimuthal_integral(image), expected, rtol=1e-10, atol=1e-9)


def test_constant_image_puts_all_power_in_dc():
    profile = spectral.azimuthal_integral(np.full((32, 32), 0.5))
    assert profile[0] == pytest.approx(10 * np.log10(0.25 * 32 * 32))
    assert np.all(profile[1:] < -100)


def test_channels_and_alpha(rng):
    rgb = rng.random((2, 32, 32, 3))
    rgba = np.concatenate([rgb, rng.random((2, 32, 32, 1))], axis=-1)
    gray = spectral.to_gray(rgb)[..., None]
    np.testing.assert_allclose(spectral.azimuthal_integral(rgba), spectral.azimuthal_integral(rgb))
    np.testing.assert_allclose(spectral.azimuthal_integral(gray), spectral.azimuthal_integral(rgb))
    with pytest.raises(ValueError, match="channels"):
        spectral.azimuthal_integral(rng.random((32, 32, 2)))


def test_rejects_bad_arguments(rng):
    with pytest.raises(ValueError, match="Received: mode='polar'"):
        spectral.azimuthal_integral(rng.random((8, 8)), mode="polar")
    with pytest.raises(ValueError, match="normalize"):
        spectral.azimuthal_integral(rng.random((8, 8)), normalize="zscore")
    with pytest.raises(ValueError, match="at least 4"):
        spectral.azimuthal_integral(rng.random((3, 8)))
    with pytest.raises(ValueError, match="NaN"):
        spectral.azimuthal_integral(np.full((8, 8), np.nan))


def test_normalizations_and_resampling(rng):
    profiles = spectral.azimuthal_integral(rng.random((3, 64, 64, 3)), mode="reference")
    minmax = spectral.normalize_profile(profiles, "minmax")
    np.testing.assert_allclose(minmax.min(axis=1), 0)
    np.testing.assert_allclose(minmax.max(axis=1), 1)
    first = spectral.normalize_profile(profiles, "first")
    np.testing.assert_allclose(first[:, 0], 1)
    resampled = spectral.resample_profile(profiles, 80)
    assert resampled.shape == (3, 80)
    np.testing.assert_allclose(resampled[:, 0], profiles[:, 0])
    np.testing.assert_allclose(resampled[:, -1], profiles[:, -1])
    # A linear profile stays linear after resampling.
    line = np.linspace(0, 1, 43)
    np.testing.assert_allclose(spectral.resample_profile(line, 7), np.linspace(0, 1, 7), atol=1e-12)


def test_mean_spectrum_streams_like_the_batch_mean(crops64):
    images = crops64.images
    expected = spectral.azimuthal_integral(images, normalize="minmax")
    mean, std = spectral.mean_spectrum(images, batch_size=7, return_std=True)
    np.testing.assert_allclose(mean, expected.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, expected.std(axis=0), rtol=1e-4, atol=1e-6)
    stream = (images[i:i + 5] for i in range(0, len(images), 5))
    np.testing.assert_allclose(spectral.mean_spectrum(stream), mean, rtol=1e-6)


def test_mean_spectrum_accepts_tf_data(crops64):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((crops64.images, np.zeros(len(crops64)))).batch(10)
    np.testing.assert_allclose(spectral.mean_spectrum(dataset, mode="reference"),
                               spectral.mean_spectrum(crops64.images, mode="reference"), rtol=1e-5)
    with pytest.raises(ValueError, match="no images"):
        spectral.mean_spectrum(iter([]))


# ------------------------------------------------------------------ the spectral vocabulary in one place
@pytest.mark.parametrize("mode", spectral.MODES)
def test_bin_radii_match_the_bin_layout(mode):
    """Bin k of a native profile holds the coefficients whose radius rounds (centered) or truncates
    (reference) to ``bin_radii[k]``."""
    size = 32
    layout = spectral.bin_layout(size, size, mode)
    radii = spectral.bin_radii(layout.num_bins, mode)
    frequency = np.fft.fftfreq(size)[: size // 2 + 1] * size  # rows: all frequencies; columns: the half plane
    rows = np.fft.fftfreq(size) * size
    if mode == "reference":  # integer distance to the centre (N-1)/2 of the fft-shifted plane
        offset = size // 2 - (size - 1) / 2
        radius = np.hypot((rows + offset)[:, None], (np.fft.fftfreq(size) * size + offset)[None, : size // 2 + 1])
        radius = radius.astype(int)
    else:
        radius = np.floor(np.hypot(rows[:, None], frequency[None, :]) + 0.5).astype(int)
    half = layout.ids[: size * (size // 2 + 1)].reshape(size, size // 2 + 1)  # bin of each half-plane coefficient
    for k in range(layout.num_bins):
        assert set(radius[half == k].tolist()) == {int(radii[k])}
    with pytest.raises(ValueError, match="mode.*Received"):
        spectral.bin_radii(4, "polar")


def test_power_to_db_and_2d_spectrum_agree_in_numpy_and_tensorflow(rng):
    import tensorflow as tf

    from upconv_tf import backends

    power = rng.random((3, 5)) * 10.0 ** rng.integers(-14, 3, (3, 5))
    np.testing.assert_allclose(spectral.power_to_db(power), 10 * np.log10(power + spectral.POWER_EPSILON),
                               rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(spectral.power_to_db(tf.constant(power), backends.tensorflow()).numpy(),
                               spectral.power_to_db(power), rtol=1e-13, atol=1e-12)
    images = rng.random((2, 12, 10, 3))
    ours = spectral.log_power_spectrum_2d(images)
    gray = spectral.to_gray(images)
    expected = np.fft.fftshift(10 * np.log10(np.abs(np.fft.fft2(gray)) ** 2 / 120 + 1e-12), axes=(-2, -1))
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-10)
    assert ours[0, 6, 5] == pytest.approx(10 * np.log10(gray[0].sum() ** 2 / 120))  # DC at (H // 2, W // 2)
    in_tf = spectral.gray_log_power_spectrum_2d(tf.constant(gray), backends.tensorflow()).numpy()
    np.testing.assert_allclose(in_tf, ours, rtol=1e-10, atol=1e-9)


def test_array_batches_slice_in_order_and_check_the_size_at_the_call():
    data = np.arange(7)
    assert [b.tolist() for b in spectral.array_batches(data, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(spectral.array_batches(data[:0], 3)) == []
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="batch_size.*Received"):
            spectral.array_batches(data, bad)  # raises before iteration


def test_image_array_batches_read_arrays_gray_batches_and_streams(rng):
    images = rng.random((5, 8, 8, 3))
    assert [b.shape for b in spectral.image_array_batches(images, 2)] == [(2, 8, 8, 3), (2, 8, 8, 3), (1, 8, 8, 3)]
    assert [b.shape for b in spectral.image_array_batches(images[..., 0], 4)] == [(4, 8, 8, 1), (1, 8, 8, 1)]
    stream = [(images[:2], np.zeros(2)), {"image": images[2]}]
    assert [b.shape for b in spectral.image_array_batches(stream)] == [(2, 8, 8, 3), (1, 8, 8, 3)]
    with pytest.raises(ValueError, match="shape"):
        next(spectral.image_array_batches(images[0]))
