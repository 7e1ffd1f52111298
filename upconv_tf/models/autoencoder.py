"""SpectralAutoencoder: the paper's auto-encoder experiment (Durall et al., CVPR 2020, Fig. 4/5/7/8)."""

from __future__ import annotations

import keras
import tensorflow as tf

from upconv_tf.errors import ArgumentError
from upconv_tf.models import distribute
from upconv_tf.models.architectures import check_last_unit, last_unit, output_dtype
from upconv_tf.models.gan import unpack_images
from upconv_tf.models.spectral_target import (  # noqa: F401  (SpectralTerm: named in the docstring's example)
    SpectralTargetMixin,
    SpectralTerm,
    pop_legacy,
    spectral_term,
    upgrade_config,
)

DOWNSAMPLINGS = ("average",)


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectralAutoencoder(SpectralTargetMixin, keras.Model):
    """The paper's auto-encoder: the model halves the image itself, then one up-sampling unit restores it.

    Durall et al. (CVPR 2020, Fig. 4/5/7/8; supplement Fig. 20/21) down-scale the image by 2 and up-sample
    it back with *one* unit, trained on MSE: a transposed convolution then adds high-frequency energy, an
    interpolation + convolution loses it, and the spectral term (lambda = 0.5) with three 5 x 5 layers after
    the up-sampling makes the spectrum match. Here the down-scaling is fixed (2 x 2 block means: the
    half-resolution RGB image, a quarter of the input's numbers), so the up-unit has to interpolate: it
    cannot carry the missing detail in extra channels.

    Decoder: the last unit of :func:`upconv_tf.models.build_generator` applied to the half-resolution
    image (``upsampling`` x2, then ``correction`` convolutions of ``kernel_size`` with ``filters`` channels,
    the last one with 3), with a linear output: a tanh would keep the linear unit from even reproducing the
    block means it starts from (``tanh(x) != x``), and then no unit beats repeating the half-resolution pixels.
    Images in [-1, 1] (outputs may overshoot slightly; clip them for display). Loss:
    ``mean((x - x_hat)^2) + spectral_weight * L_spectral(x_hat)`` (:mod:`upconv_tf.models.spectral_target`).

    Args:
        image_size: side of the (square, RGB) images, even.
        upsampling: ``"transconv"``, ``"nearest"``, ``"bilinear"`` or ``"zero"``.
        correction: convolutions after the up-sampling (default 0 for transconv, 1 otherwise; the paper's
            fix: 3).
        kernel_size: kernel of those convolutions.
        filters: channels of the hidden correction convolutions (and of a transposed convolution followed
            by them).
        spectral: the spectral term's settings, a :class:`~upconv_tf.models.SpectralTerm` (default:
            ``SpectralTerm(weight=0.5)``, the paper's; ``weight=0``: MSE only). The former ``spectral_*``
            keyword arguments still work for one release, with a ``DeprecationWarning``.
        real_spectrum: mean real profile; estimated from the training data by ``fit`` when None.
        downsampling: how the model halves the image: ``"average"`` (2 x 2 block means).

    Example:

    >>> ae = SpectralAutoencoder(32, "nearest", correction=3, filters=8, spectral=SpectralTerm(weight=0.5))
    >>> ae.compile(keras.optimizers.Adam(1e-3))
    >>> history = ae.fit(np.random.uniform(-1, 1, (8, 32, 32, 3)).astype("float32"), batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['loss', 'mse', 'spectral_loss']
    """

    def __init__(self, image_size=64, upsampling="transconv", correction=None, kernel_size=5, filters=32,
                 spectral=None, real_spectrum=None, downsampling="average", **kwargs):
        term = spectral_term(spectral, pop_legacy(kwargs), 0.5, "SpectralAutoencoder")
        super().__init__(**kwargs)
        if not isinstance(image_size, int) or isinstance(image_size, bool) or image_size < 8 or image_size % 2:
            raise ArgumentError("image_size", f"must be an even integer >= 8. Received: image_size={image_size!r}")
        if not isinstance(filters, int) or isinstance(filters, bool) or filters < 1:
            raise ArgumentError("filters", f"must be a positive integer. Received: filters={filters!r}")
        if downsampling not in DOWNSAMPLINGS:
            raise ArgumentError("downsampling", f"must be one of {DOWNSAMPLINGS}. Received: downsampling={downsampling!r}")
        self.image_size = image_size
        self.upsampling = upsampling
        self.correction = check_last_unit(upsampling, correction, kernel_size)
        self.kernel_size = kernel_size
        self.filters = filters
        self.downsampling = downsampling
        self._image_shape = (image_size, image_size, 3)
        self._init_spectral(term, real_spectrum)
        self.downsample = keras.layers.AveragePooling2D(2, name="down_average")
        self.decoder_layers = last_unit(upsampling, self.correction, kernel_size, filters, channels=3, name="up")
        # Linear, computed in float32 (also under mixed precision), like the generators' tanh.
        self.output_activation = keras.layers.Activation("linear", dtype=output_dtype(), name="output")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mse_tracker = keras.metrics.Mean(name="mse")
        self.spectral_loss_tracker = keras.metrics.Mean(name="spectral_loss")
        self.build((None,) + self._image_shape)

    def build(self, input_shape):
        if self.built:
            return
        shape = (None, self.image_size // 2, self.image_size // 2, 3)
        for layer in self.decoder_layers:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self._build_spectral(self.image_size, self.image_size)
        self.built = True

    def downscale(self, images):
        """The half-resolution image the up-sampling unit starts from."""
        return self.downsample(images)

    def call(self, inputs, training=False):
        x = self.downscale(inputs)
        for layer in self.decoder_layers:
            x = layer(x)
        return self.output_activation(x)

    def compile(self, optimizer="adam", **kwargs):
        """``keras.Model.compile`` with the fixed loss (MSE + spectral term); ``loss`` is not accepted."""
        if kwargs.get("loss") is not None:
            raise ValueError(f"SpectralAutoencoder has a fixed loss. Received: loss={kwargs['loss']!r}")
        kwargs.pop("loss", None)
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        """Compile from the saved compile configuration (what ``keras.saving.load_model`` calls before it restores
        the weights and the optimizer's variables), so that a reloaded model continues to ``fit`` as an
        uninterrupted run."""
        config = keras.saving.deserialize_keras_object(dict(config))
        config.pop("loss", None)
        self.compile(**config)
        if self.optimizer is not None and self.built:
            self.optimizer.build(self.trainable_variables)

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.mse_tracker]
        return trackers + ([self.spectral_loss_tracker] if self.spectral_weight > 0 else [])

    def fit(self, x=None, *args, **kwargs):
        """``keras.Model.fit``; first estimates the real spectrum from ``x`` when it is needed and unset."""
        self._adapt_if_needed(x)
        return super().fit(x, *args, **kwargs)

    def losses_for(self, images, training=False):
        """(total, mse, spectral) per-replica mean losses of reconstructing ``images``."""
        reconstruction = self(images, training=training)
        mse = tf.reduce_mean(tf.square(reconstruction - tf.cast(images, reconstruction.dtype)))
        spectral = tf.zeros((), tf.float32)
        total = mse
        if self.spectral_weight > 0:
            spectral = self.spectral_loss(reconstruction)
            step = self.optimizer.iterations if getattr(self, "optimizer", None) is not None else self.spectral_warmup
            total = mse + tf.cast(self.spectral_scale(step), mse.dtype) * tf.cast(spectral, mse.dtype)
        return total, mse, spectral

    def train_step(self, data):
        images = unpack_images(data)
        with tf.GradientTape() as tape:
            total, mse, spectral = self.losses_for(images, training=True)
            scaled = self.optimizer.scale_loss(distribute.scale_for_replicas(total))
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return self._update_metrics(total, mse, spectral)

    def test_step(self, data):
        return self._update_metrics(*self.losses_for(unpack_images(data)))

    def _update_metrics(self, total, mse, spectral):
        self.loss_tracker.update_state(total)
        self.mse_tracker.update_state(mse)
        if self.spectral_weight > 0:
            self.spectral_loss_tracker.update_state(spectral)
        return distribute.step_outputs({m.name: m.result() for m in self.metrics})

    @classmethod
    def from_config(cls, config):
        return cls(**upgrade_config(config))

    def get_config(self):
        config = super().get_config()
        config.update({
            "image_size": self.image_size,
            "upsampling": self.upsampling,
            "correction": self.correction,
            "kernel_size": self.kernel_size,
            "filters": self.filters,
            "downsampling": self.downsampling,
            "real_spectrum": None,  # a weight: restored with the weights
            **self._spectral_config(),
        })
        return config
