"""Up-sampling blocks of the paper (transposed conv, interpolation + conv, zero insertion + conv) and
the spectral correction stack that follows the last up-sampling."""

from __future__ import annotations

import keras
from keras import ops

INTERPOLATIONS = ("nearest", "bilinear")


def _positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return value


def _conv(filters, kernel_size, name, conv_kwargs):
    return keras.layers.Conv2D(filters, kernel_size, padding="same", name=name, **conv_kwargs)


def _conv_kwargs(layer, use_bias, kernel_initializer, bias_initializer):
    return dict(
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        bias_initializer=bias_initializer,
        dtype=layer.dtype_policy,
    )


def _upsampled_shape(input_shape, factor, filters):
    scale = lambda n: None if n is None else n * factor  # noqa: E731
    return (input_shape[0], scale(input_shape[1]), scale(input_shape[2]), filters)


@keras.saving.register_keras_serializable(package="upconv_tf")
class TransposedConvUpsampling(keras.layers.Conv2DTranspose):
    """Transposed-convolution up-sampling (kernel 4, stride 2, "same" padding by default).

    This is the up-convolution the paper blames for high-frequency replicas in the spectrum.

    Example:

    >>> TransposedConvUpsampling(8)(np.zeros((1, 16, 16, 3), "float32")).shape
    TensorShape([1, 32, 32, 8])
    """

    def __init__(self, filters, kernel_size=4, strides=2, padding="same", **kwargs):
        _positive_int("filters", filters)
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)


@keras.saving.register_keras_serializable(package="upconv_tf")
class InterpolationUpsampling(keras.layers.Layer):
    """Interpolation (nearest or bilinear) by ``size`` followed by one convolution.

    Interpolation acts as a low-pass filter: the paper shows it loses high frequencies.

    Args:
        filters: output channels of the convolution.
        interpolation: ``"nearest"`` or ``"bilinear"``.
        size: integer up-sampling factor (2 by default).
        kernel_size: convolution kernel size (3 by default).
        use_bias, kernel_initializer, bias_initializer: passed to the convolution.

    Example:

    >>> InterpolationUpsampling(8, "bilinear")(np.zeros((1, 16, 16, 3), "float32")).shape
    TensorShape([1, 32, 32, 8])
    """

    def __init__(self, filters, interpolation="nearest", size=2, kernel_size=3, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"`interpolation` must be one of {INTERPOLATIONS}. Received: interpolation={interpolation!r}"
            )
        self.filters = _positive_int("filters", filters)
        self.size = _positive_int("size", size)
        self.kernel_size = _positive_int("kernel_size", kernel_size)
        self.interpolation = interpolation
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.upsample = keras.layers.UpSampling2D(self.size, interpolation=interpolation, dtype=self.dtype_policy)
        self.conv = _conv(self.filters, self.kernel_size, "conv",
                          _conv_kwargs(self, use_bias, self.kernel_initializer, self.bias_initializer))

    def build(self, input_shape):
        # The weightless UpSampling2D too: Keras builds a model symbolically under tf.distribute strategies
        # (Trainer._symbolic_build) whenever one of its layers reports unbuilt.
        self.upsample.build(input_shape)
        self.conv.build(_upsampled_shape(input_shape, self.size, input_shape[-1]))

    def call(self, inputs):
        return self.conv(self.upsample(inputs))

    def compute_output_shape(self, input_shape):
        return _upsampled_shape(input_shape, self.size, self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "interpolation": self.interpolation,
            "size": self.size,
            "kernel_size": self.kernel_size,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        })
        return config


def insert_zeros(inputs, size=2):
    """Bed-of-nails up-sampling: each pixel at the top-left of a ``size`` x ``size`` block of zeros."""
    batch = ops.shape(inputs)[0]
    height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
    block = ops.pad(ops.expand_dims(ops.expand_dims(inputs, 2), 4),
                    [[0, 0], [0, 0], [0, size - 1], [0, 0], [0, size - 1], [0, 0]])
    return ops.reshape(block, (batch, height * size, width * size, channels))


@keras.saving.register_keras_serializable(package="upconv_tf")
class ZeroInsertionUpsampling(InterpolationUpsampling):
    """Zero insertion ("bed of nails") by ``size`` followed by one convolution.

    Chandrasegaran et al. (CVPR 2021) call this setup Z.1.k; it keeps the spectral replicas of
    transposed convolution.

    Example:

    >>> ZeroInsertionUpsampling(8)(np.zeros((1, 16, 16, 3), "float32")).shape
    TensorShape([1, 32, 32, 8])
    """

    def __init__(self, filters, size=2, kernel_size=3, **kwargs):
        kwargs.pop("interpolation", None)
        super().__init__(filters, interpolation="nearest", size=size, kernel_size=kernel_size, **kwargs)

    def call(self, inputs):
        return self.conv(insert_zeros(inputs, self.size))

    def get_config(self):
        config = super().get_config()
        config.pop("interpolation")
        return config


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectralCorrection(keras.layers.Layer):
    """The paper's fix: ``num_layers`` convolutions after the last up-sampling, no activation between.

    Defaults follow the paper: three 5 x 5 convolutions with 32 filters. In a generator the last one
    outputs the image channels: pass ``output_channels=3``.

    Args:
        num_layers: number of convolutions (>= 1).
        filters: channels of every convolution but the last.
        kernel_size: square kernel size.
        output_channels: channels of the last convolution (``filters`` when None).
        use_bias, kernel_initializer, bias_initializer: passed to the convolutions.

    Example:

    >>> SpectralCorrection(output_channels=3)(np.zeros((1, 32, 32, 8), "float32")).shape
    TensorShape([1, 32, 32, 3])
    """

    def __init__(self, num_layers=3, filters=32, kernel_size=5, output_channels=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.num_layers = _positive_int("num_layers", num_layers)
        self.filters = _positive_int("filters", filters)
        self.kernel_size = _positive_int("kernel_size", kernel_size)
        self.output_channels = None if output_channels is None else _positive_int("output_channels",
                                                                                   output_channels)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        conv_kwargs = _conv_kwargs(self, use_bias, self.kernel_initializer, self.bias_initializer)
        self.convs = [
            _conv(self._filters_of(i), self.kernel_size, f"conv_{i}", conv_kwargs) for i in range(self.num_layers)
        ]

    def _filters_of(self, index):
        last = index == self.num_layers - 1
        return self.output_channels if last and self.output_channels else self.filters

    def build(self, input_shape):
        shape = tuple(input_shape)
        for conv in self.convs:
            conv.build(shape)
            shape = shape[:-1] + (conv.filters,)

    def call(self, inputs):
        for conv in self.convs:
            inputs = conv(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self._filters_of(self.num_layers - 1),)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_layers": self.num_layers,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "output_channels": self.output_channels,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        })
        return config
