"""GAN losses and penalties against independent formulas (keras BCE, numpy, closed-form gradients)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import losses


@pytest.fixture
def logits(rng):
    return rng.normal(size=(6, 1)).astype("float32") * 3, rng.normal(size=(6, 1)).astype("float32") * 3


def test_exports_keep_the_spectral_loss():
    assert losses.spectral_bce is not None and losses.SpectralBCE is not None
    for name in ("dcgan_generator_loss", "dcgan_discriminator_loss", "lsgan_generator_loss",
                 "lsgan_discriminator_loss", "wasserstein_generator_loss", "wasserstein_discriminator_loss",
                 "wasserstein_gradient_penalty", "dragan_penalty"):
        assert callable(getattr(losses, name))


def test_dcgan_losses_match_keras_bce(logits):
    real, fake = logits
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    np.testing.assert_allclose(losses.dcgan_generator_loss(fake), bce(np.ones_like(fake), fake), rtol=1e-5)
    expected = bce(np.ones_like(real), real) + bce(np.zeros_like(fake), fake)
    np.testing.assert_allclose(losses.dcgan_discriminator_loss(real, fake), expected, rtol=1e-5)


def test_least_squares_and_wasserstein_losses(logits):
    real, fake = logits
    np.testing.assert_allclose(losses.lsgan_generator_loss(fake), np.mean((fake - 1) ** 2), rtol=1e-5)
    np.testing.assert_allclose(losses.lsgan_discriminator_loss(real, fake),
                               np.mean((real - 1) ** 2) + np.mean(fake ** 2), rtol=1e-5)
    np.testing.assert_allclose(losses.wasserstein_generator_loss(fake), -fake.mean(), rtol=1e-5)
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(real, fake), fake.mean() - real.mean(),
                               rtol=1e-5)


def test_non_saturating_generator_loss_keeps_a_gradient_when_the_discriminator_wins():
    fake = tf.constant([[-20.0]])  # D is sure the sample is fake
    with tf.GradientTape() as tape:
        tape.watch(fake)
        loss = losses.dcgan_generator_loss(fake)
    assert abs(float(tape.gradient(loss, fake)[0, 0])) > 0.99  # log(1 - D) would give ~e^-20


class Linear(keras.Model):
    """D(x) = <w, x>: its input gradient is w everywhere."""

    def __init__(self, shape, rng):
        super().__init__()
        self.w = self.add_weight(shape=shape, initializer=keras.initializers.Constant(rng.normal(size=shape) * 0.2))

    def call(self, x, training=None):
        return tf.reduce_sum(x * self.w, axis=[1, 2, 3])[:, None]


def test_gradient_penalty_closed_form_and_its_gradient(rng):
    shape = (4, 4, 3)
    model = Linear(shape, rng)
    real = rng.uniform(-1, 1, (5,) + shape).astype("float32")
    fake = rng.uniform(-1, 1, (5,) + shape).astype("float32")
    epsilon = rng.uniform(size=(5, 1, 1, 1)).astype("float32")
    with tf.GradientTape() as tape:
        penalty = losses.wasserstein_gradient_penalty(model, real, fake, epsilon)
    w = model.w.numpy()
    norm = np.linalg.norm(w)
    np.testing.assert_allclose(float(penalty), (norm - 1) ** 2, rtol=1e-5)
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||: the penalty trains the critic (second-order gradient).
    np.testing.assert_allclose(tape.gradient(penalty, model.w), 2 * (norm - 1) * w / norm, rtol=1e-4, atol=1e-6)


def test_gradient_penalty_uses_the_interpolated_points(rng):
    """With D(x) = 0.5 ||x||^2 the input gradient is x itself: the penalty reveals the points."""
    quadratic = lambda x, training=None: 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])  # noqa: E731
    real = rng.uniform(-1, 1, (3, 4, 4, 1))
    fake = rng.uniform(-1, 1, (3, 4, 4, 1))
    epsilon = rng.uniform(size=(3, 1, 1, 1))
    points = real + epsilon * (fake - real)
    expected = np.mean((np.linalg.norm(points.reshape(3, -1), axis=1) - 1) ** 2)
    value = losses.wasserstein_gradient_penalty(quadratic, tf.constant(real), tf.constant(fake), epsilon)
    assert value.dtype == tf.float64  # float64 stays float64
    np.testing.assert_allclose(float(value), expected, rtol=1e-10)


def test_dragan_penalty_perturbs_real_data(rng):
    quadratic = lambda x, training=None: 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])  # noqa: E731
    real = rng.uniform(-1, 1, (3, 4, 4, 1))
    noise = rng.uniform(size=real.shape)
    epsilon = rng.uniform(size=(3, 1, 1, 1))
    points = real + epsilon * 0.5 * real.std() * noise
    expected = np.mean((np.linalg.norm(points.reshape(3, -1), axis=1) - 1) ** 2)
    np.testing.assert_allclose(float(losses.dragan_penalty(quadratic, tf.constant(real), noise, epsilon)), expected,
                               rtol=1e-10)
    # An explicit (global) standard deviation replaces the batch's own.
    points = real + epsilon * 0.5 * 2.0 * noise
    expected = np.mean((np.linalg.norm(points.reshape(3, -1), axis=1) - 1) ** 2)
    np.testing.assert_allclose(float(losses.dragan_penalty(quadratic, tf.constant(real), noise, epsilon, data_std=2.0)),
                               expected, rtol=1e-10)


def test_option_names_match_the_models():
    """The CLI builds its choices from upconv_tf.options without importing TensorFlow."""
    from upconv_tf import models, options
    from upconv_tf.models.gan import LOSSES

    assert tuple(LOSSES) == options.GAN_LOSSES
    assert models.UPSAMPLINGS == options.UPSAMPLINGS and models.NORMS == options.NORMS


def test_one_sided_label_smoothing_matches_keras_bce_with_soft_real_targets(logits):
    real, fake = logits
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    expected = bce(np.full_like(real, 0.9), real) + bce(np.zeros_like(fake), fake)
    np.testing.assert_allclose(losses.dcgan_discriminator_loss(real, fake, label_smoothing=0.1), expected, rtol=1e-5)


def test_r1_penalty_is_the_squared_input_gradient_norm(rng):
    """D(x) = sum(w * x^2): grad = 2 w x, so R1 = mean_i sum (2 w x_i)^2."""
    weights = tf.constant(rng.normal(size=(4, 4, 3)), tf.float32)
    x = tf.constant(rng.normal(size=(5, 4, 4, 3)), tf.float32)
    d = lambda images, training=None: tf.reduce_sum(weights * images ** 2, axis=[1, 2, 3])[:, None]  # noqa: E731
    expected = np.mean(np.sum((2 * weights.numpy() * x.numpy()) ** 2, axis=(1, 2, 3)))
    np.testing.assert_allclose(losses.r1_penalty(d, x), expected, rtol=1e-5)
