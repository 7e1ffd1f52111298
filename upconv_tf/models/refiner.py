"""SpectrumRefiner: STIG (Lee et al., AAAI 2024) in Keras: refine the magnitude spectrum of generated images.

A generated image ``A`` is split into the normalised log magnitude of its centred spectrum and its phase
(:class:`upconv_tf.layers.SpectrumDecomposition`); a U-Net refines the magnitude; the refined magnitude with the
input's phase is inverted back to an image (:class:`upconv_tf.layers.SpectrumComposition`). The DC term of each
channel (the mean colour) is kept as it was: the published code lets the network change it too, and at our training
budget that tinted whole images (measured: purple and green casts on the bundled fakes), which its soft low-frequency
loss did not prevent. Trained unpaired on
generated images (``A``) and real images (``B``), with the losses of the published code (``model/stig_model.py``):

* an LSGAN patch discriminator on magnitudes (refined ``A`` against real ``B``), weight ``adversarial``;
* a *spectral* discriminator, one linear unit on the azimuthal integral of the refined image
  (:class:`upconv_tf.layers.AzimuthalIntegral`, reference bins, min-max per image, as the paper's readout) against
  that of real images, LSGAN, weight ``spectral``;
* PatchNCE (CUT, Park et al., ECCV 2020) between the generator's encoder features of the input magnitude and of the
  refined one: a patch of the output must match the patch of the input at the same place against the other
  sampled patches of the same image, weight ``nce``; with ``nce_identity`` also between real ``B`` and its
  pass through the generator (``idt_B``);
* SSIM identity terms: ``real_identity * (1 - SSIM(B, idt_B))`` and ``content * (1 - SSIM(A, refined A))`` on
  the images;
* the low-frequency loss: RMSE between input and output magnitudes in the box of half-side ``low_frequency_box x
  size`` around the DC term, for ``A`` and (with ``nce_identity``) ``B``, weight ``low_frequency``.

The defaults are the published ones (``lambda_GAN = lambda_PSD = lambda_LF = 3``, ``lambda_NCE = 10``, SSIM
weights 3 and 1, ``nce_T = 0.07``, 256 patches, ``sigma = 8`` at 256 px), grouped in :class:`RefinerLosses`.
Where the published code differs from its own description, ours follows the description and says so:

* its NCE weight is applied twice (inside ``compute_NCE_loss`` and again in the total) and its loss is divided by
  the 5 layers it lists while ``zip`` with a one-element criterion list uses only the first: ours applies
  ``nce`` once to the mean over the levels used (``nce_levels``; default: every encoder level);
* its discriminators end in a sigmoid before the squared error; ours are plain LSGAN (Mao et al. 2017) on linear
  outputs (:mod:`upconv_tf.losses.gan`), the discriminator loss halved like the published one;
* its low-frequency RMSE is over the whole batch; ours is per image, then averaged (the same for its batch of 1,
  and independent of how a batch is split among replicas).

Generator (:class:`SpectrumUNet`): the nested U-Net (UNet++, Zhou et al. 2018) of the paper at a size that
trains on a CPU: ``width`` channels at the top level (published: 64), ``depth`` levels (published: 5), instance
norm instead of batch norm (per-image statistics: the same on one device and on N replicas), two frequency
coordinate channels (:class:`upconv_tf.layers.FrequencyCoordinates`) and a residual output (the refined
magnitude is the input plus a correction whose last convolution starts at zero, so training starts from the
identity: an untrained refiner returns its input). ``nested=False`` gives a plain U-Net.

Under ``tf.distribute`` (build and compile inside ``strategy.scope()``, global batches) every loss is a
per-replica mean scaled once by :func:`upconv_tf.models.distribute.scale_for_replicas`, and the patch positions
of PatchNCE are drawn from one seed for the whole step, so N replicas match one device.

Example:

>>> refiner = build_refiner(32, width=4, depth=3, discriminator_width=4)
>>> refiner.compile()
>>> fakes, reals = np.random.rand(8, 32, 32, 3).astype("float32"), np.random.rand(8, 32, 32, 3).astype("float32")
>>> history = refiner.fit(tf.data.Dataset.from_tensor_slices((fakes, reals)).batch(4), verbose=0)
>>> refiner.refine(fakes[:2]).shape
TensorShape([2, 32, 32, 3])
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from upconv_tf.layers import AzimuthalIntegral, FrequencyCoordinates, SpectrumComposition, SpectrumDecomposition
from upconv_tf.layers.spectrum import QUANTIZATION_FLOOR, check_dft, check_floor, keep_dc
from upconv_tf.losses import gan as gan_losses
from upconv_tf.metrics import ssim_per_image
from upconv_tf.models import distribute
from upconv_tf.models.seed_state import SeedStateMixin

GENERATOR_NORMS = ("instance", "none")
# Published optimiser: Adam(8e-5, 0.5, 0.999), learning rate held for the first 20 % of the steps, then
# linear decay to 0 over the last 80 %.
PAPER_LEARNING_RATE = 8e-5
DECAY_START = 0.2


def _positive_int(name, value, minimum=1):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")
    return int(value)


def _weight(name, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0 \
            or (positive and value == 0):
        raise ValueError(f"`{name}` must be a finite number {'> 0' if positive else '>= 0'}. Received: {name}={value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class RefinerLosses:
    """Weights and settings of the refiner's losses; the defaults are the published code's.

    Attributes:
        adversarial: patch discriminator on magnitudes (``lambda_GAN``, 3).
        spectral: spectral discriminator on the azimuthal integral (``lambda_PSD``, 3).
        nce: PatchNCE (``lambda_NCE``, 10; applied once, see the module docstring).
        real_identity: ``1 - SSIM(B, idt_B)`` on real images passed through the generator (3).
        content: ``1 - SSIM(A, refined A)`` (1).
        low_frequency: RMSE of the magnitude's low band, input against output (``lambda_LF``, 3).
        nce_identity: also pass real images through the generator (``nce_idt``: the real-identity SSIM, NCE and
            low-frequency terms); False halves the generator's work per step and drops those terms.
        nce_temperature: ``nce_T`` (0.07).
        nce_patches: patches sampled per level and image (256; fewer when a level has fewer positions).
        nce_units: width of the two-layer MLP head of each level (256).
        nce_levels: encoder levels PatchNCE reads (``None``: all of them).
        low_frequency_box: half-side of the low band as a fraction of the image side (8 / 256, the published
            ``sigma = 8`` at 256 px; at least one frequency).

    Example:

    >>> RefinerLosses(content=2.0).spectral
    3.0
    """

    adversarial: float = 3.0
    spectral: float = 3.0
    nce: float = 10.0
    real_identity: float = 3.0
    content: float = 1.0
    low_frequency: float = 3.0
    nce_identity: bool = True
    nce_temperature: float = 0.07
    nce_patches: int = 256
    nce_units: int = 256
    nce_levels: tuple | None = None
    low_frequency_box: float = 8 / 256

    def __post_init__(self):
        for name in ("adversarial", "spectral", "nce", "real_identity", "content", "low_frequency"):
            _weight(name, getattr(self, name))
        _weight("nce_temperature", self.nce_temperature, positive=True)
        if not isinstance(self.nce_identity, bool):
            raise ValueError(f"`nce_identity` must be True or False. Received: nce_identity={self.nce_identity!r}")
        _positive_int("nce_patches", self.nce_patches)
        _positive_int("nce_units", self.nce_units)
        if self.nce_levels is not None:
            levels = tuple(self.nce_levels)
            if not levels or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0 for v in levels):
                raise ValueError(f"`nce_levels` must be None or a non-empty sequence of level indices >= 0. "
                                 f"Received: nce_levels={self.nce_levels!r}")
            object.__setattr__(self, "nce_levels", tuple(int(v) for v in levels))
        if not 0 < _weight("low_frequency_box", self.low_frequency_box) <= 0.5:
            raise ValueError(f"`low_frequency_box` must be in (0, 0.5]. Received: {self.low_frequency_box!r}")

    def as_dict(self) -> dict:
        """The settings as a JSON-able dict (``nce_levels`` as a list)."""
        data = dataclasses.asdict(self)
        data["nce_levels"] = None if self.nce_levels is None else list(self.nce_levels)
        return data

    @classmethod
    def from_dict(cls, data) -> "RefinerLosses":
        """Settings from :meth:`as_dict` (unknown keys are refused with a one-line error)."""
        fields = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ValueError(f"`losses` has unknown settings {unknown}; known: {sorted(fields)}")
        return cls(**data)


def check_losses(losses) -> RefinerLosses:
    """A :class:`RefinerLosses` from itself, a dict of its fields, or None (the defaults)."""
    if losses is None:
        return RefinerLosses()
    if isinstance(losses, RefinerLosses):
        return losses
    if isinstance(losses, dict):
        return RefinerLosses.from_dict(losses)
    raise ValueError(f"`losses` must be a RefinerLosses, a dict or None. Received: {type(losses).__name__}")


@keras.saving.register_keras_serializable(package="upconv_tf")
class DelayedLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate held at ``initial_learning_rate`` for ``decay_start`` steps, then linear decay to 0 over
    ``decay_steps`` steps (the published STIG / CycleGAN schedule: decay over the last 80 % of training).

    Example:

    >>> schedule = DelayedLinearDecay(1.0, decay_start=2, decay_steps=4)
    >>> [round(float(schedule(step)), 2) for step in (0, 2, 4, 6, 9)]
    [1.0, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_start, decay_steps):
        self.initial_learning_rate = _weight("initial_learning_rate", initial_learning_rate)
        self.decay_start = _positive_int("decay_start", decay_start, 0)
        self.decay_steps = _positive_int("decay_steps", decay_steps)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        fraction = tf.clip_by_value((step - self.decay_start) / float(self.decay_steps), 0.0, 1.0)
        return self.initial_learning_rate * (1.0 - fraction)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_start": self.decay_start,
                "decay_steps": self.decay_steps}


def paper_optimizer(learning_rate=PAPER_LEARNING_RATE, total_steps=None):
    """Adam(learning_rate, 0.5, 0.999); with ``total_steps``, the published schedule (:class:`DelayedLinearDecay`)."""
    if total_steps is not None:
        total_steps = _positive_int("total_steps", total_steps)
        start = int(round(DECAY_START * total_steps))
        learning_rate = DelayedLinearDecay(learning_rate, start, max(total_steps - start, 1))
    return keras.optimizers.Adam(learning_rate, beta_1=0.5, beta_2=0.999)


# ----------------------------------------------------------------------------------------------- networks
def _norm(norm, name):
    if norm == "instance":
        return keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)
    return keras.layers.Identity(name=name)


@keras.saving.register_keras_serializable(package="upconv_tf")
class ConvBlock(keras.layers.Layer):
    """Two 3 x 3 convolutions, each followed by a norm and a ReLU (the published ``VGGBlock``).

    Args:
        filters: output channels (the hidden ones too).
        norm: ``"instance"`` (per-image, per-channel statistics) or ``"none"``.

    Example:

    >>> ConvBlock(8)(np.zeros((1, 16, 16, 3), "float32")).shape
    TensorShape([1, 16, 16, 8])
    """

    def __init__(self, filters, norm="instance", **kwargs):
        super().__init__(**kwargs)
        self.filters = _positive_int("filters", filters)
        if norm not in GENERATOR_NORMS:
            raise ValueError(f"`norm` must be one of {GENERATOR_NORMS}. Received: norm={norm!r}")
        self.norm = norm
        # No bias before an instance norm: the norm removes it (its gradient would be rounding noise).
        bias = norm == "none"
        self.layers_ = [keras.layers.Conv2D(self.filters, 3, padding="same", use_bias=bias, name="conv_1"),
                        _norm(norm, "norm_1"), keras.layers.ReLU(name="relu_1"),
                        keras.layers.Conv2D(self.filters, 3, padding="same", use_bias=bias, name="conv_2"),
                        _norm(norm, "norm_2"), keras.layers.ReLU(name="relu_2")]

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers_:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def call(self, inputs):
        x = inputs
        for layer in self.layers_:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters, "norm": self.norm})
        return config


def level_widths(width: int, depth: int) -> list:
    """Channels of each level: ``width x [1, 2, 4, 8, 8, ...]`` (the published ``nb_filter``)."""
    return [width * min(2 ** level, 8) for level in range(depth)]


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectrumUNet(keras.Model):
    """The refiner's generator: normalised log magnitude ``(B, H, W, C)`` in [-1, 1] -> refined magnitude.

    A nested U-Net (UNet++: node ``X[i][j]`` of level ``i`` takes every earlier node of its level and the
    up-sampled ``X[i+1][j-1]``) or, with ``nested=False``, a plain U-Net; 2 x 2 average pooling down (the
    published max pooling has no entry in the CUDA kernel table the export is checked against), bilinear up-sampling
    (published: bicubic); :class:`ConvBlock` nodes. H and W must be multiples of ``2 ** (depth - 1)``.

    Args:
        channels: magnitude channels (3 for RGB).
        width: channels of the top level (published: 64).
        depth: levels (published: 5).
        nested: UNet++ (True, published) or a plain U-Net.
        norm: ``"instance"`` or ``"none"``.
        coordinates: append the frequency of each position (:class:`upconv_tf.layers.FrequencyCoordinates`).
        residual: output ``input + correction`` with the last convolution initialised to zero (the identity at
            the start); False: ``tanh`` of the last convolution (the published ``2 sigmoid - 1``).

    Example:

    >>> net = SpectrumUNet(width=4, depth=3)
    >>> magnitude = np.random.uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    >>> bool(np.allclose(net(magnitude), magnitude))  # residual: the identity before training
    True
    """

    def __init__(self, channels=3, width=16, depth=4, nested=True, norm="instance", coordinates=True, residual=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.channels = _positive_int("channels", channels)
        self.width = _positive_int("width", width)
        self.depth = _positive_int("depth", depth, 2)
        for name, value in (("nested", nested), ("coordinates", coordinates), ("residual", residual)):
            if not isinstance(value, bool):
                raise ValueError(f"`{name}` must be True or False. Received: {name}={value!r}")
        if norm not in GENERATOR_NORMS:
            raise ValueError(f"`norm` must be one of {GENERATOR_NORMS}. Received: norm={norm!r}")
        self.nested, self.norm, self.coordinates, self.residual = nested, norm, coordinates, residual
        widths = level_widths(self.width, self.depth)
        self.coordinate_layer = FrequencyCoordinates(name="coordinates") if coordinates else None
        self.pool = keras.layers.AveragePooling2D(2, name="pool")
        self.up = keras.layers.UpSampling2D(2, interpolation="bilinear", name="up")
        # nodes["x{level}_{column}"] (string keys: SavedModel tracking refuses others); the encoder is column 0.
        self.nodes = {}
        for level in range(self.depth):
            self.nodes[f"x{level}_0"] = ConvBlock(widths[level], norm, name=f"x{level}_0")
        for column in range(1, self.depth):
            levels = range(self.depth - column) if nested else [self.depth - 1 - column]
            for level in levels:
                self.nodes[f"x{level}_{column}"] = ConvBlock(widths[level], norm, name=f"x{level}_{column}")
        initializer = "zeros" if residual else "glorot_uniform"
        self.final = keras.layers.Conv2D(self.channels, 1, kernel_initializer=initializer, name="final")

    @property
    def levels(self) -> int:
        return self.depth

    def build(self, input_shape):
        if self.built:
            return
        self._check_shape(input_shape)
        self.forward(keras.ops.zeros((1,) + tuple(input_shape[1:]), dtype=self.compute_dtype))  # builds every node
        self.built = True

    def _check_shape(self, shape):
        shape = tuple(shape)
        factor = 2 ** (self.depth - 1)
        if len(shape) != 4 or shape[3] != self.channels:
            raise ValueError(f"`inputs` must be (batch, H, W, {self.channels}). Received: shape={shape}")
        if shape[1] is not None and shape[2] is not None and (shape[1] % factor or shape[2] % factor):
            raise ValueError(f"H and W must be multiples of {factor} (2 ** (depth - 1)). Received: shape={shape}")
        return shape

    def encoder_input(self, magnitude):
        return self.coordinate_layer(magnitude) if self.coordinate_layer is not None else magnitude

    def encode(self, magnitude, training=False):
        """The encoder's feature maps ``[X[0][0], X[1][0], ...]``, one per level (PatchNCE reads them)."""
        x = self.encoder_input(magnitude)
        features = []
        for level in range(self.depth):
            x = self.nodes[f"x{level}_0"](x if level == 0 else self.pool(x), training=training)
            features.append(x)
        return features

    def forward(self, magnitude, training=False):
        """``(refined magnitude, encoder features)``."""
        self._check_shape(magnitude.shape)
        features = self.encode(magnitude, training)
        grid = {(level, 0): feature for level, feature in enumerate(features)}
        for column in range(1, self.depth):
            levels = range(self.depth - column) if self.nested else [self.depth - 1 - column]
            for level in levels:
                same = [grid[(level, j)] for j in range(column)] if self.nested else [grid[(level, 0)]]
                merged = keras.ops.concatenate(same + [self.up(grid[(level + 1, column - 1)])], axis=-1)
                grid[(level, column)] = self.nodes[f"x{level}_{column}"](merged, training=training)
        correction = self.final(grid[(0, self.depth - 1)])
        refined = keras.ops.cast(magnitude, correction.dtype) + correction if self.residual else keras.ops.tanh(correction)
        return refined, features

    def call(self, inputs, training=False):
        return self.forward(inputs, training)[0]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"channels": self.channels, "width": self.width, "depth": self.depth, "nested": self.nested,
                       "norm": self.norm, "coordinates": self.coordinates, "residual": self.residual})
        return config


PATCH_STAGES = 4  # the published discriminator's stride-2 stages (16 x 16 patches at 256 px, 4 x 4 at 64 px)


def patch_stages(image_size: int) -> int:
    """The published 4 stride-2 stages, fewer for images under 32 px (at least a 2 x 2 grid of patches).

    A finer grid (the published 16 x 16 at any size: 2 stages at 64 px) was measured to change the spectra less at the
    CPU budget of ``experiments/stig_experiment.py`` (LFD 4.58 -> 4.40 against 3.62 with 4 stages, transposed-convolution
    fakes at 64 px, 300-600 steps), so the stage count, not the grid, is kept.
    """
    return max(1, min(PATCH_STAGES, int(np.log2(max(image_size, 4))) - 1))


def build_patch_discriminator(image_size, channels=3, width=16, stages=None, coordinates=True, name="discriminator"):
    """The published ``PatchDiscriminator`` on magnitudes: ``stages`` x (Conv 3 x 3 stride 2, instance norm except
    in the first, LeakyReLU 0.2) with ``width x 2^i`` channels, then Conv 3 x 3 to one linear output per patch.
    ``stages`` defaults to :func:`patch_stages` (the published 4).

    Example:

    >>> build_patch_discriminator(64, width=4).output_shape
    (None, 4, 4, 1)
    """
    image_size = _positive_int("image_size", image_size, 2)
    stages = patch_stages(image_size) if stages is None else _positive_int("stages", stages)
    inputs = keras.Input((image_size, image_size, channels), name="magnitude")
    x = FrequencyCoordinates(name="coordinates")(inputs) if coordinates else inputs
    for stage in range(stages):
        x = keras.layers.Conv2D(width * 2 ** min(stage, 3), 3, strides=2, padding="same", use_bias=not stage,
                                name=f"conv_{stage}")(x)  # no bias before an instance norm
        if stage:
            x = _norm("instance", f"norm_{stage}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu_{stage}")(x)
    outputs = keras.layers.Conv2D(1, 3, padding="same", name="patch")(x)
    return keras.Model(inputs, outputs, name=name)


def spectral_profile_layer():
    """The spectral discriminator's input: reference bins of the published pipeline, min-max per image."""
    return AzimuthalIntegral(mode="reference", normalize="minmax", name="profile")


def build_spectral_discriminator(image_size, name="spectral_discriminator"):
    """The published spectral discriminator: one linear unit on the profile of :func:`spectral_profile_layer`.

    Example:

    >>> build_spectral_discriminator(64).input_shape  # 43 reference bins at 64 px
    (None, 43)
    """
    from upconv_tf import spectral

    bins = spectral.num_bins(image_size, image_size, "reference")
    inputs = keras.Input((bins,), name="profile")
    return keras.Model(inputs, keras.layers.Dense(1, name="linear")(inputs), name=name)


@keras.saving.register_keras_serializable(package="upconv_tf")
class PatchNCEHead(keras.layers.Layer):
    """The PatchNCE projection: per encoder level, Dense(units) - ReLU - Dense(units), then L2 normalisation
    (the published ``PatchSampleF`` with ``use_mlp=True``).

    Args:
        units: width of both Dense layers.
        channels: channels of each level's feature maps (one MLP per level).

    Example:

    >>> head = PatchNCEHead(8, [4, 8])
    >>> head(np.ones((2, 5, 4), "float32"), level=0).shape
    TensorShape([2, 5, 8])
    """

    def __init__(self, units=256, channels=(16,), **kwargs):
        super().__init__(**kwargs)
        self.units = _positive_int("units", units)
        self.channels = [_positive_int("channels", c) for c in channels]
        self.mlps = [[keras.layers.Dense(self.units, activation="relu", name=f"level{i}_dense_1"),
                      keras.layers.Dense(self.units, name=f"level{i}_dense_2")] for i in range(len(self.channels))]

    def build(self, input_shape=None):
        for mlp, channels in zip(self.mlps, self.channels):
            mlp[0].build((None, channels))
            mlp[1].build((None, self.units))
        self.built = True

    def call(self, inputs, level=0):
        x = inputs
        for layer in self.mlps[level]:
            x = layer(x)
        return x * tf.math.rsqrt(tf.maximum(tf.reduce_sum(tf.square(x), axis=-1, keepdims=True), 1e-14))

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "channels": list(self.channels)})
        return config


# ----------------------------------------------------------------------------------------------- the model
def _unpack_pair(data, dtype=tf.float32):
    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    if y is None and isinstance(x, (tuple, list)) and len(x) == 2:
        x, y = x
    if y is None:
        raise ValueError("SpectrumRefiner trains on (generated, real) pairs of image batches in [0, 1]; "
                         "give a dataset of 2-tuples")
    return tf.cast(x, dtype), tf.cast(y, dtype)


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectrumRefiner(SeedStateMixin, keras.Model):
    """STIG: refines the magnitude spectrum of generated images, keeping their phase (module docstring).

    ``refiner(images)`` / :meth:`refine` maps images ``(N, H, W, C)`` in [0, 1] to refined images in [0, 1] (clipped);
    H and W need not be the training size, only multiples of ``2 ** (depth - 1)``. ``fit`` takes a dataset of
    ``(generated, real)`` batch pairs in [0, 1] (unpaired: any real batch with any generated batch).

    Args:
        generator: a :class:`SpectrumUNet`.
        discriminator: patch discriminator on magnitudes (:func:`build_patch_discriminator`); its input size is the
            training image size.
        spectral_discriminator: model on the profile (:func:`build_spectral_discriminator`).
        losses: :class:`RefinerLosses` (or a dict of its fields); None: the published weights.
        seed: seed of the PatchNCE patch positions (``keras.random.SeedGenerator``).
        dft: ``"fft"`` (default) or ``"matmul"`` (the MatMul DFT, as in the ONNX export) for training and :meth:`refine`.
        magnitude_floor: the unit of the log magnitude, ``log(1 + |F| / floor)``: ``"8-bit"`` (default: the rounding
            noise of an 8-bit image, so that the scale is logarithmic wherever an 8-bit image holds anything) or a
            number (1: the published ``log1p``); see :mod:`upconv_tf.layers.spectrum`.

    Example:

    >>> refiner = build_refiner(32, width=4, depth=3, discriminator_width=4)
    >>> refiner.refine(np.random.rand(1, 64, 32, 3).astype("float32")).shape  # another size than trained
    TensorShape([1, 64, 32, 3])
    """

    def __init__(self, generator, discriminator, spectral_discriminator, losses=None, seed=None, dft="fft",
                 magnitude_floor=QUANTIZATION_FLOOR, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(generator, SpectrumUNet):
            raise ValueError(f"`generator` must be a SpectrumUNet. Received: {type(generator).__name__}")
        for name, model in (("discriminator", discriminator), ("spectral_discriminator", spectral_discriminator)):
            if not isinstance(model, keras.Model):
                raise ValueError(f"`{name}` must be a keras.Model. Received: {type(model).__name__}")
        shape = tuple(discriminator.input_shape)
        if len(shape) != 4 or shape[1] is None or shape[1] != shape[2] or shape[3] != generator.channels:
            raise ValueError(f"`discriminator` must take square magnitudes (N, S, S, {generator.channels}). "
                             f"Received: input_shape={shape}")
        self.image_size = int(shape[1])
        generator._check_shape((None, self.image_size, self.image_size, generator.channels))
        from upconv_tf import spectral

        bins = spectral.num_bins(self.image_size, self.image_size, "reference")
        if tuple(spectral_discriminator.input_shape) != (None, bins):
            raise ValueError(f"`spectral_discriminator` must take the {bins} reference bins of {self.image_size} px "
                             f"images. Received: input_shape={spectral_discriminator.input_shape}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be None or an integer. Received: seed={seed!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.spectral_discriminator = spectral_discriminator
        self.losses_config = check_losses(losses)
        self.seed = seed
        self.dft = check_dft(dft)
        levels = self.losses_config.nce_levels
        self.nce_levels = tuple(range(generator.depth)) if levels is None else levels
        if max(self.nce_levels) >= generator.depth:
            raise ValueError(f"`nce_levels` must be below the generator's depth {generator.depth}. "
                             f"Received: nce_levels={levels}")
        widths = level_widths(generator.width, generator.depth)
        self.nce_head = PatchNCEHead(self.losses_config.nce_units, [widths[level] for level in self.nce_levels],
                                     name="nce_head")
        self.magnitude_floor = check_floor(magnitude_floor)
        self.decompose = SpectrumDecomposition(dft, self.magnitude_floor, name="decompose")
        self.compose = SpectrumComposition(dft, self.magnitude_floor, name="compose")
        self.profile = spectral_profile_layer()
        self.seed_generator = keras.random.SeedGenerator(seed, name="patch_seed")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in (
            "d_loss", "g_loss", "adversarial_loss", "spectral_loss", "nce_loss", "ssim_loss", "low_frequency_loss")}
        self.g_optimizer = None
        self.d_optimizer = None
        self.build()

    # ------------------------------------------------------------------------------------- building
    def build(self, input_shape=None):
        if self.built:
            return
        shape = (None, self.image_size, self.image_size, self.generator.channels)
        self.generator.build(shape)
        self.nce_head.build()
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Set the optimizers of the generator (with the PatchNCE head) and of both discriminators (default: the
        published Adam(8e-5, 0.5, 0.999) each, constant rate) and build their state. Other keyword arguments go to
        ``keras.Model.compile``. The optimizers are saved with the model (:meth:`get_compile_config`)."""
        if kwargs.get("optimizer") is not None or kwargs.get("loss") is not None:
            raise ValueError("SpectrumRefiner.compile takes `g_optimizer` and `d_optimizer`; the losses are set in "
                             f"the constructor. Received: {sorted(k for k in ('optimizer', 'loss') if kwargs.get(k))}")
        kwargs.pop("optimizer", None)
        kwargs.pop("loss", None)
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = _optimizer(g_optimizer, "g_optimizer")
        self.d_optimizer = _optimizer(d_optimizer, "d_optimizer")
        self.g_optimizer.build(self._generator_variables())
        self.d_optimizer.build(self._discriminator_variables())

    def get_compile_config(self):
        if self.g_optimizer is None:
            return None
        return {"g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
                "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer)}

    def compile_from_config(self, config):
        self.compile(g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
                     d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]))

    def fit(self, x=None, *args, **kwargs):
        """``keras.Model.fit`` on ``(generated, real)`` pairs; :meth:`compile` first."""
        if self.g_optimizer is None:
            raise ValueError("Call `compile()` before `fit()`.")
        return super().fit(x, *args, **kwargs)

    def _generator_variables(self):
        return self.generator.trainable_variables + self.nce_head.trainable_variables

    def _discriminator_variables(self):
        return self.discriminator.trainable_variables + self.spectral_discriminator.trainable_variables

    # ------------------------------------------------------------------------------------- refining
    def refine_parts(self, images, training=False, dft=None):
        """``(refined images unclipped, refined magnitude, input parts, encoder features of the input)``."""
        decompose, compose = (self.decompose, self.compose) if dft in (None, self.dft) else \
            (SpectrumDecomposition(check_dft(dft), self.magnitude_floor), SpectrumComposition(dft, self.magnitude_floor))
        parts = decompose(images)
        refined, features = self.generator.forward(parts["magnitude"], training=training)
        # The DC term is the image's mean colour: kept as it was (a refined DC tints the whole image).
        refined = keep_dc(refined, parts["magnitude"])
        return compose(dict(parts, magnitude=refined)), refined, parts, features

    def refine(self, images, dft=None):
        """Refined images in [0, 1] (clipped) of ``(N, H, W, C)`` images in [0, 1]; ``dft`` overrides the model's."""
        images = tf.cast(tf.convert_to_tensor(images), self._image_dtype())
        return tf.clip_by_value(self.refine_parts(images, dft=dft)[0], 0.0, 1.0)

    def call(self, inputs, training=False):
        return tf.clip_by_value(self.refine_parts(inputs, training=training)[0], 0.0, 1.0)

    # ------------------------------------------------------------------------------------- losses
    def _patch_ids(self, positions, count, seed):
        """``count`` distinct positions out of ``positions`` (the same for every image and replica)."""
        keys = tf.random.stateless_uniform([positions], seed=seed)
        return tf.argsort(keys)[:count]

    def nce_loss(self, source_features, target_features, seed):
        """PatchNCE between the features of the input (keys, no gradient) and of the output (queries)."""
        total = 0.0
        temperature = self.losses_config.nce_temperature
        for index, level in enumerate(self.nce_levels):
            source, target = source_features[level], target_features[level]
            height, width, channels = source.shape[1], source.shape[2], source.shape[3]
            positions = height * width
            count = min(self.losses_config.nce_patches, positions)
            ids = self._patch_ids(positions, count, tf.random.experimental.stateless_fold_in(seed, level))
            keys = tf.gather(tf.reshape(source, [-1, positions, channels]), ids, axis=1)
            queries = tf.gather(tf.reshape(target, [-1, positions, channels]), ids, axis=1)
            keys = tf.stop_gradient(self.nce_head(keys, level=index))
            queries = self.nce_head(queries, level=index)
            logits = tf.matmul(queries, keys, transpose_b=True) / temperature  # (B, P, P), positives on the diagonal
            labels = tf.broadcast_to(tf.range(count), tf.shape(logits)[:2])
            total += tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        return total / len(self.nce_levels)

    def low_frequency_loss(self, refined, magnitude):
        """Per-image RMSE of the normalised magnitudes in the low band around the DC term, averaged."""
        size = refined.shape[1]
        half = max(1, int(round(self.losses_config.low_frequency_box * size)))
        centre = size // 2
        box = slice(max(centre - half, 0), centre + half)
        difference = refined[:, box, box] - magnitude[:, box, box]
        return tf.reduce_mean(tf.sqrt(tf.reduce_mean(tf.square(difference), axis=[1, 2, 3]) + 1e-12))

    def generator_pass(self, generated, real, seed, training=True):
        """One generator pass: ``(refined magnitude, refined images, terms)`` with the content terms (PatchNCE,
        SSIM, low frequency: per-replica means, the SSIM terms weighted) that do not read a discriminator."""
        weights = self.losses_config
        refined_images, refined, parts, features = self.refine_parts(generated, training=training)
        nce = self.nce_loss(features, self.generator.encode(refined, training), seed)
        ssim = weights.content * (1.0 - tf.reduce_mean(ssim_per_image(generated, refined_images)))
        low = self.low_frequency_loss(refined, parts["magnitude"])
        if weights.nce_identity:
            identity_images, identity, real_parts, real_features = self.refine_parts(real, training=training)
            nce += self.nce_loss(real_features, self.generator.encode(identity, training),
                                 tf.random.experimental.stateless_fold_in(seed, 1000))
            ssim += weights.real_identity * (1.0 - tf.reduce_mean(ssim_per_image(real, identity_images)))
            low += self.low_frequency_loss(identity, real_parts["magnitude"])
        return refined, refined_images, {"nce_loss": nce, "ssim_loss": ssim, "low_frequency_loss": low}

    def adversarial_terms(self, refined, refined_images, training=True):
        """The generator's LSGAN terms against the patch and the spectral discriminator."""
        return {"adversarial_loss": gan_losses.lsgan_generator_loss(self.discriminator(refined, training=training)),
                "spectral_loss": gan_losses.lsgan_generator_loss(
                    self.spectral_discriminator(self.profile(refined_images), training=training))}

    def generator_total(self, terms):
        """The weighted sum of the generator's terms (the SSIM terms come weighted), in the generator's float dtype
        (float32, or float64 under a float64 policy; SSIM is computed in float32 by ``tf.image.ssim``)."""
        weights = self.losses_config
        dtype = tf.float64 if self.generator.compute_dtype == "float64" else tf.float32
        term = {name: tf.cast(value, dtype) for name, value in terms.items()}
        return (weights.adversarial * term["adversarial_loss"] + weights.spectral * term["spectral_loss"]
                + weights.nce * term["nce_loss"] + term["ssim_loss"] + weights.low_frequency * term["low_frequency_loss"])

    def discriminator_loss(self, refined, refined_images, real, training=True):
        """LSGAN loss of both discriminators, each halved like the published ``(real + fake) * 0.5``."""
        real_magnitude = self.decompose(real)["magnitude"]
        patch = gan_losses.lsgan_discriminator_loss(self.discriminator(real_magnitude, training=training),
                                                    self.discriminator(refined, training=training))
        spectral = gan_losses.lsgan_discriminator_loss(
            self.spectral_discriminator(self.profile(real), training=training),
            self.spectral_discriminator(self.profile(refined_images), training=training))
        return 0.5 * patch + 0.5 * spectral

    def train_step(self, data):
        generated, real = _unpack_pair(data, self._image_dtype())
        seed = self.seed_generator.next()
        with tf.GradientTape() as g_tape:
            # One generator pass; its outputs (without gradient) train the discriminators first, then the
            # generator's adversarial terms read the updated discriminators, as the published update does.
            refined, refined_images, terms = self.generator_pass(generated, real, seed)
            with g_tape.stop_recording():
                d_loss = self._discriminator_step(tf.stop_gradient(refined), tf.stop_gradient(refined_images), real)
            terms.update(self.adversarial_terms(refined, refined_images))
            total = self.generator_total(terms)
            scaled = self.g_optimizer.scale_loss(distribute.scale_for_replicas(total))
        variables = self._generator_variables()
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(scaled, variables), variables))
        return self._update_metrics(d_loss, total, terms)

    def _discriminator_step(self, refined, refined_images, real):
        with tf.GradientTape() as tape:
            d_loss = self.discriminator_loss(refined, refined_images, real)
            scaled = self.d_optimizer.scale_loss(distribute.scale_for_replicas(d_loss))
        variables = self._discriminator_variables()
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return d_loss

    def test_step(self, data):
        generated, real = _unpack_pair(data, self._image_dtype())
        refined, refined_images, terms = self.generator_pass(generated, real, self.seed_generator.next(), training=False)
        terms.update(self.adversarial_terms(refined, refined_images, training=False))
        d_loss = self.discriminator_loss(refined, refined_images, real, training=False)
        return self._update_metrics(d_loss, self.generator_total(terms), terms)

    def _image_dtype(self):
        """float64 under a float64 policy (exact distribute checks), else float32."""
        return tf.float64 if self.generator.compute_dtype == "float64" else tf.float32

    def _update_metrics(self, d_loss, g_loss, terms):
        self.trackers["d_loss"].update_state(d_loss)
        self.trackers["g_loss"].update_state(g_loss)
        for name, value in terms.items():
            self.trackers[name].update_state(value)
        return distribute.step_outputs({m.name: m.result() for m in self.metrics})

    # ------------------------------------------------------------------------------------- saving
    def get_config(self):
        config = super().get_config()
        config.update({
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "spectral_discriminator": keras.saving.serialize_keras_object(self.spectral_discriminator),
            "losses": self.losses_config.as_dict(),
            "seed": self.seed,
            "dft": self.dft,
            "magnitude_floor": self.magnitude_floor,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator", "spectral_discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _optimizer(optimizer, name):
    optimizer = paper_optimizer() if optimizer is None else keras.optimizers.get(optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"`{name}` must be a keras optimizer. Received: {name}={optimizer!r}")
    return optimizer


def build_refiner(image_size=64, width=16, depth=4, nested=True, discriminator_width=16, losses=None, seed=None,
                  norm="instance", dft="fft", magnitude_floor=QUANTIZATION_FLOOR) -> SpectrumRefiner:
    """A :class:`SpectrumRefiner` for square RGB images of ``image_size`` px (not compiled).

    Args:
        image_size: training image side (a multiple of ``2 ** (depth - 1)``, >= 16).
        width, depth, nested, norm: the generator (:class:`SpectrumUNet`).
        discriminator_width: first-stage channels of the patch discriminator (published: 64).
        losses, seed, dft, magnitude_floor: see :class:`SpectrumRefiner`.

    Example:

    >>> build_refiner(32, width=4, depth=3).image_size
    32
    """
    image_size = _positive_int("image_size", image_size, 16)
    generator = SpectrumUNet(3, width, depth, nested, norm, name="generator")
    discriminator = build_patch_discriminator(image_size, 3, _positive_int("discriminator_width", discriminator_width))
    spectral_discriminator = build_spectral_discriminator(image_size)
    return SpectrumRefiner(generator, discriminator, spectral_discriminator, losses=losses, seed=seed, dft=dft,
                           magnitude_floor=magnitude_floor, name="spectrum_refiner")
