"""Adversarial losses and gradient penalties, named after TF-GAN (``tfgan.losses``).

Every function returns the mean over the batch it is given (a scalar, float32). Under
``tf.distribute`` that is the mean over the *replica's* share of the batch: the caller divides by the
number of replicas before taking gradients (see :func:`upconv_tf.models.distribute.scale_for_replicas`),
as Keras 3 losses do, and never twice.

Sources:

* DCGAN, non-saturating BCE: Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (sec. 3,
  the ``-log D(G(z))`` generator objective); Radford et al., "Unsupervised Representation Learning with
  Deep Convolutional GANs", ICLR 2016.
* LSGAN: Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017 (eq. 2 with
  a = 0, b = c = 1). As in the code the paper's spectral weights were tuned with (LynnHo's
  DCGAN-LSGAN-WGAN-GP-DRAGAN, used by UpConv), the squares are averaged without Mao's factor 1/2.
* WGAN: Arjovsky et al., "Wasserstein GAN", ICML 2017; gradient penalty: Gulrajani et al., "Improved
  Training of Wasserstein GANs", NeurIPS 2017 (Algorithm 1, lambda = 10).
* R1: Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do actually Converge?", ICML 2018
  (eq. 9: ``gamma / 2 * E ||grad_x D(x)||^2`` on real data); makes the DCGAN game locally convergent.
* One-sided label smoothing: Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016.
* DRAGAN: Kodali et al., "On Convergence and Stability of GANs", arXiv:1705.07215, 2017; the
  perturbation ``x + 0.5 * std(x) * U[0, 1)`` follows the reference code.
"""

from __future__ import annotations

import tensorflow as tf

PENALTY_WEIGHT = 10.0


def _float(x):
    """float64 stays float64 (exact checks); every other dtype is computed in float32."""
    x = tf.convert_to_tensor(x)
    return x if x.dtype == tf.float64 else tf.cast(x, tf.float32)


def _logits(x):
    return _float(tf.reshape(x, [tf.shape(x)[0], -1]))


def dcgan_generator_loss(fake_logits):
    """Non-saturating generator loss ``-log sigmoid(D(G(z)))``, averaged over the batch.

    Example:

    >>> float(dcgan_generator_loss(tf.constant([[0.0]])))  # log 2
    0.6931...
    """
    return tf.reduce_mean(tf.nn.softplus(-_logits(fake_logits)))


def dcgan_discriminator_loss(real_logits, fake_logits, label_smoothing=0.0):
    """Discriminator BCE ``-log sigmoid(D(x)) - log(1 - sigmoid(D(G(z))))`` (means over the batch).

    ``label_smoothing`` s > 0 makes it one-sided smoothed: real images get the target ``1 - s`` (fakes keep 0).
    """
    real_logits = _logits(real_logits)
    # BCE with target t: softplus(-l) + (1 - t) * l, i.e. -t log sigmoid(l) - (1 - t) log(1 - sigmoid(l)).
    real_term = tf.nn.softplus(-real_logits) + label_smoothing * real_logits if label_smoothing else \
        tf.nn.softplus(-real_logits)
    return tf.reduce_mean(real_term) + tf.reduce_mean(tf.nn.softplus(_logits(fake_logits)))


def lsgan_generator_loss(fake_logits):
    """Least-squares generator loss ``mean((D(G(z)) - 1)^2)``."""
    return tf.reduce_mean(tf.square(_logits(fake_logits) - 1.0))


def lsgan_discriminator_loss(real_logits, fake_logits):
    """Least-squares discriminator loss ``mean((D(x) - 1)^2) + mean(D(G(z))^2)``."""
    return tf.reduce_mean(tf.square(_logits(real_logits) - 1.0)) + tf.reduce_mean(tf.square(_logits(fake_logits)))


def wasserstein_generator_loss(fake_logits):
    """Wasserstein generator loss ``-mean(D(G(z)))``."""
    return -tf.reduce_mean(_logits(fake_logits))


def wasserstein_discriminator_loss(real_logits, fake_logits):
    """Wasserstein critic loss ``mean(D(G(z))) - mean(D(x))``."""
    return tf.reduce_mean(_logits(fake_logits)) - tf.reduce_mean(_logits(real_logits))


def _gradient_norm_penalty(discriminator, points, training):
    """``mean((||grad_x D(x)||_2 - 1)^2)`` over the batch, differentiable w.r.t. D's weights."""
    points = tf.convert_to_tensor(points)
    with tf.GradientTape() as tape:
        tape.watch(points)
        logits = discriminator(points, training=training)
    gradients = _float(tape.gradient(_float(logits), points))
    norms = tf.sqrt(tf.reduce_sum(tf.square(tf.reshape(gradients, [tf.shape(points)[0], -1])), axis=1) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def r1_penalty(discriminator, real_data, training=True):
    """R1 penalty ``mean ||grad_x D(x)||^2`` over real images (Mescheder et al. 2018; weight it by gamma / 2).

    Example:

    >>> d = lambda x, training=None: tf.reduce_sum(x, axis=[1, 2, 3])
    >>> float(r1_penalty(d, tf.zeros((2, 4, 4, 1))))  # ||grad||^2 = 16
    16.0
    """
    points = tf.convert_to_tensor(real_data)
    with tf.GradientTape() as tape:
        tape.watch(points)
        logits = discriminator(points, training=training)
    gradients = _float(tape.gradient(_float(logits), points))
    return tf.reduce_mean(tf.reduce_sum(tf.square(tf.reshape(gradients, [tf.shape(points)[0], -1])), axis=1))


def wasserstein_gradient_penalty(discriminator, real_data, generated_data, epsilon, training=True):
    """WGAN-GP penalty at random points on the lines between real and generated samples.

    Args:
        discriminator: callable ``(images, training=...) -> logits``.
        real_data, generated_data: (batch, H, W, C) images.
        epsilon: (batch, 1, 1, 1) uniform [0, 1) interpolation weights (drawn by the caller so that the
            draw does not depend on how the batch is split across replicas).
        training: passed to the discriminator.

    Returns:
        Scalar ``mean((||grad D(x_hat)|| - 1)^2)`` with ``x_hat = real + epsilon * (generated - real)``.

    Example:

    >>> d = lambda x, training=None: tf.reduce_sum(x, axis=[1, 2, 3])
    >>> x = tf.zeros((2, 4, 4, 1))
    >>> float(wasserstein_gradient_penalty(d, x, x, tf.zeros((2, 1, 1, 1))))  # ||grad|| = 4
    9.0
    """
    real_data = tf.cast(real_data, generated_data.dtype)
    points = real_data + tf.cast(epsilon, real_data.dtype) * (generated_data - real_data)
    return _gradient_norm_penalty(discriminator, points, training)


def dragan_penalty(discriminator, real_data, noise, epsilon, data_std=None, training=True):
    """DRAGAN penalty: the gradient-norm penalty at random points near the real data.

    ``x_hat = x + epsilon * 0.5 * std(x) * noise`` with ``noise`` ~ U[0, 1) like the images and
    ``epsilon`` ~ U[0, 1) per sample, as in the reference code.

    Args:
        discriminator: callable ``(images, training=...) -> logits``.
        real_data: (batch, H, W, C) real images.
        noise: uniform [0, 1) tensor shaped like ``real_data``.
        epsilon: (batch, 1, 1, 1) uniform [0, 1) weights.
        data_std: standard deviation of the real batch; computed from ``real_data`` when None (pass
            the global value under ``tf.distribute`` so replicas agree with one device).
        training: passed to the discriminator.

    Returns:
        Scalar penalty.
    """
    real_data = tf.convert_to_tensor(real_data)
    if data_std is None:
        data_std = tf.math.reduce_std(real_data)
    perturbed = real_data + 0.5 * tf.cast(data_std, real_data.dtype) * tf.cast(noise, real_data.dtype)
    points = real_data + tf.cast(epsilon, real_data.dtype) * (perturbed - real_data)
    return _gradient_norm_penalty(discriminator, points, training)
