import numpy as np
import pytest
import tensorflow as tf

from upconv_tf.losses import SpectralBCE, spectral_bce


def test_matches_eq11(rng):
    fake = rng.uniform(0.05, 0.95, size=(4, 20)).astype("float32")
    real = rng.uniform(0, 1, size=20).astype("float32")
    expected = -np.mean(real * np.log(fake) + (1 - real) * np.log(1 - fake), axis=1)
    np.testing.assert_allclose(spectral_bce(fake, real).numpy(), expected, rtol=1e-4)


def test_safe_and_differentiable_at_exact_zero_and_one():
    fake = tf.Variable([[0.0, 0.3, 1.0], [1.0, 0.0, 0.5]])
    real = tf.constant([0.0, 0.5, 1.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(spectral_bce(fake, real))
    gradient = tape.gradient(loss, fake).numpy()
    assert np.isfinite(loss.numpy()) and np.all(np.isfinite(gradient))
    assert gradient[1, 0] > 0 and gradient[1, 1] < 0  # pushes misplaced 0/1 bins towards the real ones


def test_minimum_is_at_the_real_profile(rng):
    real = tf.constant(rng.uniform(0.1, 0.9, size=12).astype("float32"))
    fake = tf.Variable(tf.reshape(real, (1, -1)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(spectral_bce(fake, real))
    np.testing.assert_allclose(tape.gradient(loss, fake).numpy(), 0, atol=1e-4)


def test_loss_class_reduces_like_keras(rng):
    fake = rng.uniform(0.1, 0.9, size=(3, 10)).astype("float32")
    real = np.broadcast_to(rng.uniform(0, 1, size=10).astype("float32"), (3, 10))
    assert float(SpectralBCE()(real, fake)) == pytest.approx(float(tf.reduce_mean(spectral_bce(fake, real))), rel=1e-6)
    restored = SpectralBCE.from_config(SpectralBCE().get_config())
    assert restored.name == "spectral_bce"


def test_rejects_mismatched_bins():
    with pytest.raises(ValueError, match="bins"):
        spectral_bce(tf.zeros((2, 10)), tf.zeros(11))


def test_float64_inputs_stay_float64():
    fake = tf.constant([[0.2, 0.7]], tf.float64)
    assert spectral_bce(fake, tf.constant([0.1, 0.9], tf.float64)).dtype == tf.float64
    assert spectral_bce(tf.cast(fake, tf.float16), tf.constant([0.1, 0.9])).dtype == tf.float32


# ------------------------------------------------------------------ the well-conditioned profile
def published_ring_power(images, floor):
    """Independent numpy: the published geometry (fftshift, integer radii around ((W-1)/2, (H-1)/2), first and
    last radius dropped), but the ring mean of the orthonormal power instead of the mean of 20 ln|F|."""
    gray = images[..., 0] * 0.2989 + images[..., 1] * 0.5870 + images[..., 2] * 0.1140
    height, width = gray.shape[1:]
    power = np.abs(np.fft.fftshift(np.fft.fft2(gray), axes=(1, 2))) ** 2 / (height * width)
    y, x = np.indices((height, width))
    radius = np.hypot(x - (width - 1) / 2, y - (height - 1) / 2).astype(int)
    rings = [power[:, radius == r].mean(axis=1) for r in np.unique(radius)][1:-1]
    return 10 * np.log(np.stack(rings, axis=1) + floor)


@pytest.mark.parametrize("shape", [(32, 32), (24, 40)])
def test_log_ring_power_matches_the_published_rings(rng, shape):
    from upconv_tf.losses import log_ring_power
    from upconv_tf.losses.spectral import QUANTIZATION_POWER

    images = rng.uniform(-1, 1, (3,) + shape + (3,))
    expected = published_ring_power(images, QUANTIZATION_POWER)
    np.testing.assert_allclose(log_ring_power(tf.constant(images)).numpy(), expected, rtol=1e-10, atol=1e-9)
    assert log_ring_power(tf.constant(images, tf.float16)).dtype == tf.float32


def test_floor_and_minimum_span_bound_the_gradient_of_a_flat_image():
    """A constant image: every ring has zero power. Without the floor the log (and without the minimum span
    the min-max) would give inf/NaN gradients; with them the gradient is finite and small."""
    from upconv_tf.losses import hold_extremes, log_ring_power, normalize_minmax

    image = tf.Variable(tf.fill((1, 16, 16, 3), 0.3))
    target = tf.constant(np.linspace(1, 0, 9), tf.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(spectral_bce(hold_extremes(normalize_minmax(log_ring_power(image))), target))
    gradient = tape.gradient(loss, image).numpy()
    assert np.isfinite(loss.numpy()) and np.all(np.isfinite(gradient))
    assert np.abs(gradient).max() < 1.0


def test_hold_extremes_keeps_the_value_and_drops_only_the_extreme_bins_gradient():
    from upconv_tf.losses import hold_extremes

    fake = tf.Variable([[0.0, 0.3, 1.0, 0.6]])
    real = tf.constant([0.1, 0.5, 0.9, 0.4])
    value = free = None  # set by the plain pass, which runs first
    for detach in (False, True):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(spectral_bce(hold_extremes(fake) if detach else fake, real))
        gradient = tape.gradient(loss, fake).numpy()[0]
        if detach:
            assert float(loss) == pytest.approx(value) and gradient[0] == 0 and gradient[2] == 0
            np.testing.assert_allclose(gradient[[1, 3]], free[[1, 3]])
        else:
            value, free = float(loss), gradient
            assert abs(free[0]) > 1e4  # r / 1e-7 at the exact-0 bin: the ill-conditioned term


def test_floored_log_profile_is_the_paper_profile_with_a_floor(rng):
    """Ring means of 10 ln(|F|^2 / HW + floor): with floor -> 0 the published 20 ln|F| profile up to a constant
    (-10 ln HW), so the min-max profiles agree; with the floor, weak coefficients are lifted to it."""
    from upconv_tf import spectral
    from upconv_tf.losses import floored_log_profile

    images = rng.uniform(-1, 1, (3, 32, 32, 3))
    published = spectral.azimuthal_integral(images, mode="reference")
    tiny = floored_log_profile(tf.constant(images), floor=1e-30).numpy()
    np.testing.assert_allclose(tiny, published - 10 * np.log(32 * 32), rtol=1e-9, atol=1e-6)
    gray = images @ np.array([0.2989, 0.5870, 0.1140])
    power = np.abs(np.fft.fftshift(np.fft.fft2(gray), axes=(1, 2))) ** 2 / 1024
    y, x = np.indices((32, 32))
    radius = np.hypot(x - 15.5, y - 15.5).astype(int)
    expected = np.stack([np.mean(10 * np.log(power[:, radius == r] + 0.01), axis=1) for r in range(1, 21)], axis=1)
    np.testing.assert_allclose(floored_log_profile(tf.constant(images), floor=0.01).numpy(), expected, rtol=1e-10)
