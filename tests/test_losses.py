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
