"""SpectralGAN: a GAN whose generator loss carries the differentiable spectral term (eqs. 10-11)."""

from __future__ import annotations

import keras
import tensorflow as tf

from upconv_tf.errors import ArgumentError
from upconv_tf.losses import gan as gan_losses
from upconv_tf.models import distribute
from upconv_tf.models.seed_state import SeedStateMixin
from upconv_tf.models.spectral_target import (  # noqa: F401  (SpectralTerm: named in the docstrings' examples)
    SpectralTargetMixin,
    SpectralTerm,
    check_weight,
    pop_legacy,
    spectral_term,
    upgrade_config,
)

# R1 weight (gamma) by default for the losses that have no gradient penalty of their own. Measured on 800-step
# CPU runs (32 px, N.3.5, seeds 1-3): without it the discriminator won on some seeds (d_loss falling to 0.02-0.1,
# the generator stuck at tanh's limits or in noise); gamma = 1 kept d_loss near 1 but let high-frequency colour
# noise through (a smooth discriminator stops penalising it; HF gap +4 to +9 dB, one seed failed the spread
# gate); gamma = 0.3 passed every gate on every seed.
DEFAULT_R1_WEIGHT = {"dcgan": 0.3, "lsgan": 0.3, "wgan-gp": 0.0, "dragan": 0.0}
# loss name -> (generator loss, discriminator loss, penalty or None, default n_critic)
LOSSES = {
    "dcgan": (gan_losses.dcgan_generator_loss, gan_losses.dcgan_discriminator_loss, None, 1),
    "lsgan": (gan_losses.lsgan_generator_loss, gan_losses.lsgan_discriminator_loss, None, 1),
    "wgan-gp": (gan_losses.wasserstein_generator_loss, gan_losses.wasserstein_discriminator_loss, "gradient", 5),
    "dragan": (gan_losses.dcgan_generator_loss, gan_losses.dcgan_discriminator_loss, "dragan", 1),
}
# Spectral weights of the paper (DCGAN 2, LSGAN 0.5); the others follow DCGAN.
PAPER_SPECTRAL_WEIGHTS = {"dcgan": 2.0, "lsgan": 0.5, "wgan-gp": 2.0, "dragan": 2.0}
# Named arms of the GAN experiments: the last unit of the generator (build_generator arguments) and the
# spectral weight. "published-code" is what UpConv's published code trains: its spectral term has no
# gradient (numpy on detached tensors, times the adversarial loss, x 1e-5), so its spectra come from the
# nearest + 3 x 5x5 architecture alone (N.3.5 with weight 0). "paper" is the same architecture with the
# differentiable term at the paper's DCGAN weight; "transconv" the unfixed baseline.
ARMS = {
    "published-code": {"upsampling": "nearest", "correction": 3, "kernel_size": 5, "spectral_weight": 0.0},
    "paper": {"upsampling": "nearest", "correction": 3, "kernel_size": 5, "spectral_weight": 2.0},
    "transconv": {"upsampling": "transconv", "correction": 0, "kernel_size": 5, "spectral_weight": 0.0},
}


def arm(name):
    """A copy of the settings of the named arm (:data:`ARMS`), e.g. ``arm("published-code")``."""
    if name not in ARMS:
        raise ArgumentError("arm", f"must be one of {tuple(ARMS)}. Received: arm={name!r}")
    return dict(ARMS[name])


def default_optimizer():
    """Adam(2e-4, beta_1=0.5, beta_2=0.999): the reference training setting."""
    return keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999)


def unpack_images(data):
    x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
    return x


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectralGAN(SeedStateMixin, SpectralTargetMixin, keras.Model):
    """GAN with the spectral regularisation of Durall et al. (CVPR 2020) added to the generator loss.

    ``L_G = adversarial_weight * L_adv + spectral_weight * L_spectral(G(z))``, ``L_spectral`` the BCE (eq. 11) of
    the min-max profile against the mean real one; the gradient flows through the FFT (the published code
    computed it on detached numpy arrays).
    ``spectral_weight=0`` is the plain GAN and skips the spectrum entirely. Each ``train_step`` does
    ``n_critic`` discriminator updates (fresh latents, same real batch), then one generator update.

    Works under ``MirroredStrategy`` / ``MultiWorkerMirroredStrategy`` (build and compile inside
    ``strategy.scope()``, batch with the global batch size): losses are per-replica means divided once
    by the number of replicas, and random draws are sliced from one global draw, so N replicas match a
    single device on the same global batch.

    Args:
        generator: model latent (N, latent_dim) -> images (N, H, W, C) in [-1, 1].
        discriminator: model images -> logits (N, 1).
        latent_dim: latent length (read from the generator when None).
        loss: ``"dcgan"`` (non-saturating BCE), ``"lsgan"``, ``"wgan-gp"`` or ``"dragan"``.
        spectral: the spectral term's settings, a :class:`~upconv_tf.models.SpectralTerm` (default:
            ``SpectralTerm(weight=2.0)``, the paper's DCGAN weight: floored_log profile, reference bins, batch
            reduction, no warm-up); ``SpectralTerm(weight=0)`` is the plain GAN and skips the spectrum.
            The former ``spectral_weight``, ``spectral_mode``, ``spectral_normalize``, ``spectral_profile``,
            ``spectral_warmup`` and ``spectral_reduction`` keyword arguments still work for one release, with
            a ``DeprecationWarning``.
        real_spectrum: mean real profile (min-max normalised, ``spectral.mode`` bins); estimated from the
            training data by ``fit`` (or ``adapt``) when None.
        n_critic: discriminator updates per step (default 5 for wgan-gp, else 1).
        penalty_weight: weight of the gradient / DRAGAN penalty (10).
        adversarial_weight: weight of the generator's adversarial loss (1; 0 trains on the spectrum alone).
        seed: seed of the model's ``keras.random.SeedGenerator`` (latents and penalty draws).
        r1_weight: gamma of the R1 penalty on real images (Mescheder et al. 2018), ``gamma / 2 * E||grad D||^2``;
            default :data:`DEFAULT_R1_WEIGHT` (0.3 for dcgan/lsgan, 0 for the losses with their own penalty);
            0 turns it off (the reference code has none).
        label_smoothing: one-sided label smoothing of the real targets (``"dcgan"`` / ``"dragan"`` only); the
            tracked ``d_loss`` stays the plain loss, so the sanity gate reads the same number either way.
    The published term is ``SpectralTerm(**PUBLISHED_TERM)`` (:data:`upconv_tf.models.spectral_target.PUBLISHED_TERM`:
    ``profile="paper", reduction="sample"``). For sampling, use
    :meth:`sampling_generator` (the moving average of the weights when ``g_optimizer`` has ``use_ema=True``).

    Example:

    >>> g = build_generator(32, latent_dim=16, dim=8)
    >>> d = build_discriminator(32, norm="layer", dim=8)
    >>> gan = SpectralGAN(g, d, loss="dcgan", spectral=SpectralTerm(weight=2.0))
    >>> gan.compile()
    >>> history = gan.fit(np.random.uniform(-1, 1, (8, 32, 32, 3)).astype("float32"), batch_size=4, verbose=0)
    >>> sorted(history.history)
    ['d_loss', 'g_loss', 'spectral_loss']
    """

    def __init__(self, generator, discriminator, latent_dim=None, loss="dcgan", spectral=None, real_spectrum=None,
                 n_critic=None, penalty_weight=gan_losses.PENALTY_WEIGHT, adversarial_weight=1.0, seed=None,
                 r1_weight=None, label_smoothing=0.0, **kwargs):
        term = spectral_term(spectral, pop_legacy(kwargs), 2.0, "SpectralGAN")
        super().__init__(**kwargs)
        if not isinstance(generator, keras.Model) or not isinstance(discriminator, keras.Model):
            raise ArgumentError("generator", "and `discriminator` must be keras.Model instances. "
                                             f"Received: generator={type(generator).__name__}, "
                                             f"discriminator={type(discriminator).__name__}", mentions=("discriminator",))
        if loss not in LOSSES:
            raise ArgumentError("loss", f"must be one of {tuple(LOSSES)}. Received: loss={loss!r}")
        in_shape, out_shape = generator.input_shape, generator.output_shape
        if len(in_shape) != 2 or len(out_shape) != 4 or None in out_shape[1:]:
            raise ArgumentError("generator", "must map (N, latent_dim) to (N, H, W, C) with a static size. "
                                             f"Received: input_shape={in_shape}, output_shape={out_shape}")
        if latent_dim is None:
            latent_dim = in_shape[1]
        if not isinstance(latent_dim, int) or latent_dim < 1 or latent_dim != in_shape[1]:
            raise ArgumentError("latent_dim", f"must match the generator input ({in_shape[1]}). "
                                              f"Received: latent_dim={latent_dim!r}")
        if tuple(discriminator.input_shape[1:]) != tuple(out_shape[1:]):
            raise ArgumentError("discriminator", f"must take the generator's images {tuple(out_shape[1:])}. "
                                                 f"Received: discriminator input_shape={discriminator.input_shape}")
        default_critic = LOSSES[loss][3]
        n_critic = default_critic if n_critic is None else n_critic
        if not isinstance(n_critic, int) or isinstance(n_critic, bool) or n_critic < 1:
            raise ArgumentError("n_critic", f"must be an integer >= 1. Received: n_critic={n_critic!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ArgumentError("seed", f"must be None or an integer. Received: seed={seed!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.loss_name = loss
        self.n_critic = n_critic
        self.penalty_weight = check_weight("penalty_weight", penalty_weight)
        self.adversarial_weight = check_weight("adversarial_weight", adversarial_weight)
        self.r1_weight = check_weight("r1_weight", DEFAULT_R1_WEIGHT[loss] if r1_weight is None else r1_weight)
        self.label_smoothing = check_weight("label_smoothing", label_smoothing)
        if self.label_smoothing >= 1 or self.label_smoothing and LOSSES[loss][1] is not gan_losses.dcgan_discriminator_loss:
            raise ArgumentError("label_smoothing", "must be in [0, 1) and needs a BCE loss ('dcgan' or 'dragan'). "
                                                   f"Received: label_smoothing={label_smoothing!r}, loss={loss!r}")
        self.seed = seed
        self._image_shape = tuple(out_shape[1:])
        self._image_dtype = "float64" if getattr(generator, "output", None) is not None \
            and generator.output.dtype == "float64" else "float32"
        self._init_spectral(term, real_spectrum)
        self.seed_generator = keras.random.SeedGenerator(seed, name="latent_seed")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.spectral_loss_tracker = keras.metrics.Mean(name="spectral_loss")
        self.penalty_tracker = keras.metrics.Mean(name="gradient_penalty")
        self.g_optimizer = None
        self.d_optimizer = None
        self.build()

    # ----------------------------------------------------------------------------------- building
    def build(self, input_shape=None):
        if self.built:
            return
        self._build_spectral(*self._image_shape[:2])
        self.built = True

    def call(self, inputs, training=False):
        """Generate images from latents."""
        return self.generator(inputs, training=training)

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Set the two optimizers (default: Adam(2e-4, 0.5, 0.999) each) and build their state.

        Under a ``mixed_float16`` policy both are wrapped in ``keras.optimizers.LossScaleOptimizer``.
        Other keyword arguments go to ``keras.Model.compile`` (e.g. ``jit_compile``, ``steps_per_execution``).
        """
        if kwargs.get("optimizer") is not None or kwargs.get("loss") is not None:
            raise ValueError("SpectralGAN.compile takes `g_optimizer` and `d_optimizer`; the loss is set in the "
                             f"constructor. Received: {sorted(k for k in ('optimizer', 'loss') if kwargs.get(k))}")
        kwargs.pop("optimizer", None)
        kwargs.pop("loss", None)
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = _prepare_optimizer(g_optimizer, self.dtype_policy, "g_optimizer")
        self.d_optimizer = _prepare_optimizer(d_optimizer, self.dtype_policy, "d_optimizer")
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def get_compile_config(self):
        """``keras.Model``'s compile configuration plus both optimizers, so that a model saved after ``compile``
        (``model.save("gan.keras")``) comes back from ``keras.saving.load_model`` compiled, its optimizers'
        state (moments, step count) restored with the weights: ``fit`` continues as an uninterrupted run."""
        if self.g_optimizer is None:
            return None
        config = dict(super().get_compile_config() or {})
        config["g_optimizer"] = keras.saving.serialize_keras_object(self.g_optimizer)
        config["d_optimizer"] = keras.saving.serialize_keras_object(self.d_optimizer)
        return config

    def compile_from_config(self, config):
        """Compile from :meth:`get_compile_config` (what ``keras.saving.load_model`` calls before it restores the
        weights and the optimizers' variables)."""
        config = dict(config)
        optimizers = {name: keras.saving.deserialize_keras_object(config.pop(name))
                      for name in ("g_optimizer", "d_optimizer") if config.get(name) is not None}
        config = keras.saving.deserialize_keras_object(config) if config else {}
        self.compile(**optimizers, **{key: value for key, value in config.items() if key not in ("optimizer", "loss")})

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        if self.spectral_weight > 0:
            trackers.append(self.spectral_loss_tracker)
        if LOSSES[self.loss_name][2] is not None:
            trackers.append(self.penalty_tracker)
        return trackers

    def fit(self, x=None, *args, **kwargs):
        """``keras.Model.fit``; first estimates the real spectrum from ``x`` when it is needed and unset."""
        if self.g_optimizer is None:
            raise ValueError("Call `compile()` before `fit()`.")
        self._adapt_if_needed(x)
        return super().fit(x, *args, **kwargs)

    # ----------------------------------------------------------------------------------- steps
    def _seed(self):
        return self.seed_generator.next()

    def _latents(self, local_batch):
        return distribute.global_draw(tf.random.stateless_normal, local_batch, (self.latent_dim,), self._seed())

    def _discriminator_loss(self, real, fake, local_batch):
        """(plain loss, loss to minimise without the penalty, penalty) of one discriminator step."""
        real_logits = self.discriminator(real, training=True)
        fake_logits = self.discriminator(fake, training=True)
        d_loss = LOSSES[self.loss_name][1](real_logits, fake_logits)
        d_train = d_loss
        if self.label_smoothing:
            d_train = gan_losses.dcgan_discriminator_loss(real_logits, fake_logits, self.label_smoothing)
        if self.r1_weight:
            # In the loss's dtype: the gradient w.r.t. the images has the images' dtype, which differs from the
            # logits' when the discriminator computes in another precision (e.g. float64 on float32 images).
            r1 = gan_losses.r1_penalty(self.discriminator, real)
            d_train = d_train + tf.cast(0.5 * self.r1_weight, d_train.dtype) * tf.cast(r1, d_train.dtype)
        penalty_kind = LOSSES[self.loss_name][2]
        penalty = tf.zeros((), d_loss.dtype)
        if penalty_kind == "gradient":
            epsilon = distribute.global_draw(tf.random.stateless_uniform, local_batch, (1, 1, 1), self._seed())
            penalty = gan_losses.wasserstein_gradient_penalty(self.discriminator, real, fake, epsilon)
        elif penalty_kind == "dragan":
            noise = distribute.global_draw(tf.random.stateless_uniform, local_batch, self._image_shape, self._seed())
            epsilon = distribute.global_draw(tf.random.stateless_uniform, local_batch, (1, 1, 1), self._seed())
            penalty = gan_losses.dragan_penalty(self.discriminator, real, noise, epsilon,
                                                data_std=distribute.global_std(real))
        return d_loss, d_train, penalty

    def _discriminator_step(self, real, local_batch):
        fake = self.generator(self._latents(local_batch), training=True)
        with tf.GradientTape() as tape:
            d_loss, d_train, penalty = self._discriminator_loss(real, fake, local_batch)
            total = d_train + tf.cast(self.penalty_weight, d_train.dtype) * tf.cast(penalty, d_train.dtype)
            scaled = self.d_optimizer.scale_loss(distribute.scale_for_replicas(total))
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return d_loss, penalty

    def generator_losses(self, latents, training=True):
        """(adversarial, spectral, total) generator losses for ``latents``, per-replica means (not scaled)."""
        fake = self.generator(latents, training=training)
        adversarial = LOSSES[self.loss_name][0](self.discriminator(fake, training=training))
        total = self.adversarial_weight * adversarial
        spectral = tf.zeros((), tf.float32)
        if self.spectral_weight > 0:
            spectral = self.spectral_loss(fake)
            step = self.g_optimizer.iterations if self.g_optimizer is not None else self.spectral_warmup
            total = total + tf.cast(self.spectral_scale(step), total.dtype) * tf.cast(spectral, total.dtype)
        return adversarial, spectral, total

    def _generator_step(self, local_batch):
        latents = self._latents(local_batch)
        with tf.GradientTape() as tape:
            adversarial, spectral, total = self.generator_losses(latents)
            scaled = self.g_optimizer.scale_loss(distribute.scale_for_replicas(total))
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return adversarial, spectral

    def train_step(self, data):
        real = tf.cast(unpack_images(data), self._image_dtype)
        local_batch = tf.shape(real)[0]
        for _ in range(self.n_critic):
            d_loss, penalty = self._discriminator_step(real, local_batch)
        g_loss, spectral = self._generator_step(local_batch)
        return self._update_metrics(d_loss, g_loss, spectral, penalty)

    def test_step(self, data):
        real = tf.cast(unpack_images(data), self._image_dtype)
        local_batch = tf.shape(real)[0]
        fake = self.generator(self._latents(local_batch), training=False)
        real_logits = self.discriminator(real, training=False)
        fake_logits = self.discriminator(fake, training=False)
        d_loss = LOSSES[self.loss_name][1](real_logits, fake_logits)
        g_loss = LOSSES[self.loss_name][0](fake_logits)
        spectral = self.spectral_loss(fake) if self.spectral_weight > 0 else tf.zeros(())
        return self._update_metrics(d_loss, g_loss, spectral, None)

    def _update_metrics(self, d_loss, g_loss, spectral, penalty):
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        if self.spectral_weight > 0:
            self.spectral_loss_tracker.update_state(spectral)
        if penalty is not None and LOSSES[self.loss_name][2] is not None:
            self.penalty_tracker.update_state(penalty)
        return distribute.step_outputs({m.name: m.result() for m in self.metrics})

    def sampling_generator(self):
        """The generator to sample from: the live one, or with ``g_optimizer(use_ema=True)`` a copy holding the
        exponential moving average of its weights (Yazici et al., "The Unusual Effectiveness of Averaging in
        GAN Training", ICLR 2019). The live generator, which training continues from, is left as it is."""
        optimizer = getattr(self.g_optimizer, "inner_optimizer", self.g_optimizer)  # under LossScaleOptimizer
        if optimizer is None or not optimizer.use_ema:
            return self.generator
        average = keras.models.clone_model(self.generator)
        average.set_weights(self.generator.get_weights())  # batch-norm statistics come from the live generator
        optimizer.finalize_variable_values(average.trainable_variables)
        return average

    # ----------------------------------------------------------------------------------- saving
    def get_config(self):
        config = super().get_config()
        config.update({
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "loss": self.loss_name,
            "real_spectrum": None,  # a weight: restored with the weights
            "n_critic": self.n_critic,
            "penalty_weight": self.penalty_weight,
            "adversarial_weight": self.adversarial_weight,
            "seed": self.seed,
            "r1_weight": self.r1_weight,
            "label_smoothing": self.label_smoothing,
            **self._spectral_config(),
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = upgrade_config(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)


def _prepare_optimizer(optimizer, policy, name):
    optimizer = default_optimizer() if optimizer is None else keras.optimizers.get(optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ArgumentError(name, f"must be a keras optimizer. Received: {name}={optimizer!r}")
    if policy.name == "mixed_float16" and not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer
