"""The spectrum of an image split into a normalised log magnitude and a phase, and put back together.

STIG (Lee et al., AAAI 2024) refines the *magnitude* spectrum of a generated image and keeps its *phase*:

* :class:`SpectrumDecomposition`: image ``(B, H, W, C)`` -> the centred 2-D DFT of each channel as
  ``log(1 + |F| / floor)`` min-max normalised to [-1, 1] per image (over all its channels and frequencies, the published
  code's ``normalize`` for a batch of one), the unit phasor ``F / |F|`` (``cos`` and ``sin`` of the phase), and the
  two numbers of the normalisation (``low``, ``high``);
* :class:`SpectrumComposition`: a (refined) normalised log magnitude with those phasors and numbers -> the image:
  ``|F'| = floor (exp(low + (m + 1) / 2 (high - low)) - 1)`` (floored at 0), ``F' = |F'| F / |F|``, the real part of the
  inverse DFT (:func:`upconv_tf.layers.dft.inverse_real_dft2`: the image of the spectrum's Hermitian part;
  the published code takes the modulus of the complex inverse instead, which also flips negative values);
* :class:`FrequencyCoordinates`: appends ``|f_y|`` and ``|f_x|`` (cycles per pixel x 2, in [0, 1]) of each position of a
  centred spectrum as two channels, so that convolutions know which frequency they look at.

``floor`` is the magnitude below which the log turns linear. The published code uses ``log(1 + |F|)`` (``floor=1``)
on images in [0, 1]; at 64 px most high-frequency coefficients of a photo are below 1 (a power of about -40 dB), where
``log(1 + x) ~ x`` compresses a 15 dB deficit to a few hundredths of the normalised range. ``floor="8-bit"`` puts the
knee at the rounding noise of an 8-bit image instead (``|F|`` of uniform noise of step 1/255:
``sqrt(H W / 12) / 255``, 0.072 at 64 px), below which an 8-bit image holds nothing anyway: above it the scale is
logarithmic, like the dB of the spectral metrics.

The phase is carried as ``F / |F|`` rather than as an angle: no ``atan2`` / ``cos`` / ``sin`` in the graph (ONNX has
no Atan2; tf2onnx writes it with several nodes), and the composition is a product. Where the input has no energy
(``|F| = 0``, phase undefined) the phasor is 0 and the output keeps none.

The DFT is ``tf.signal.fft2d`` (``dft="fft"``) or two MatMuls per axis (``dft="matmul"``,
:func:`upconv_tf.layers.dft.complex_dft2`): the latter converts to ONNX without a DFT operator, which
onnxruntime's CUDA provider lacks (SPEC s. 6). Both give the same numbers to float32 rounding.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from upconv_tf.layers import dft as matmul_dft

DFTS = ("fft", "matmul")
# |F| below this (float32 rounding of a zero coefficient) has no phase.
MAGNITUDE_FLOOR = 1e-6
# The smallest log-magnitude span a normalisation divides by (a black image has span 0).
SPAN_FLOOR = 1e-6
PARTS = ("magnitude", "phase_cos", "phase_sin", "low", "high")
# A composed magnitude is clipped to [-MAGNITUDE_LIMIT, MAGNITUDE_LIMIT] (the input's own span is [-1, 1]): half the
# image's log range beyond its largest and smallest coefficient, and exp() stays finite whatever a network outputs.
MAGNITUDE_LIMIT = 1.5
QUANTIZATION_FLOOR = "8-bit"


def check_floor(floor):
    """``floor`` as given: a positive number or :data:`QUANTIZATION_FLOOR`; else ``ValueError``."""
    if floor == QUANTIZATION_FLOOR:
        return floor
    if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not np.isfinite(floor) or floor <= 0:
        raise ValueError(f"`floor` must be a positive number or {QUANTIZATION_FLOOR!r}. Received: floor={floor!r}")
    return float(floor)


def floor_value(floor, height: int, width: int) -> float:
    """The magnitude unit of the log for ``height x width`` images (module docstring)."""
    if floor == QUANTIZATION_FLOOR:
        return float(np.sqrt(height * width / 12.0) / 255.0)
    return float(floor)


def check_dft(dft) -> str:
    """Raise ``ValueError`` unless ``dft`` is one of :data:`DFTS`."""
    if dft not in DFTS:
        raise ValueError(f"`dft` must be one of {DFTS}. Received: dft={dft!r}")
    return dft


def _planes(images):
    """(B, H, W, C) -> (B C, H, W)."""
    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    return tf.reshape(tf.transpose(images, [0, 3, 1, 2]), [-1, height, width]), channels


def _images(planes, channels):
    """(B C, H, W) -> (B, H, W, C)."""
    height, width = planes.shape[1], planes.shape[2]
    return tf.transpose(tf.reshape(planes, [-1, channels, height, width]), [0, 2, 3, 1])


def compute_dtype(tensor) -> tf.DType:
    """float64 stays float64 (exact checks); every other dtype is computed in float32."""
    return tf.float64 if tf.as_dtype(tensor.dtype) == tf.float64 else tf.float32


def centred_spectrum(images, dft: str = "fft"):
    """Real and imaginary parts of the centred 2-D DFT of each channel: (B, H, W, C) -> two (B, H, W, C), float32
    (float64 for float64 images)."""
    check_dft(dft)
    images = tf.convert_to_tensor(images)
    dtype = compute_dtype(images)
    planes, channels = _planes(tf.cast(images, dtype))
    if dft == "fft":
        spectrum = tf.signal.fftshift(tf.signal.fft2d(tf.complex(planes, tf.zeros_like(planes))), axes=(-2, -1))
        real, imag = tf.math.real(spectrum), tf.math.imag(spectrum)
    else:
        real, imag = matmul_dft.complex_dft2(planes, shift=True, dtype=dtype.name)
    return _images(real, channels), _images(imag, channels)


def image_from_centred_spectrum(real, imag, dft: str = "fft"):
    """The real part of the inverse 2-D DFT of a centred spectrum per channel: two (B, H, W, C) -> (B, H, W, C)."""
    check_dft(dft)
    real = tf.convert_to_tensor(real)
    dtype = compute_dtype(real)
    real, channels = _planes(tf.cast(real, dtype))
    imag, _ = _planes(tf.cast(imag, dtype))
    if dft == "fft":
        spectrum = tf.signal.ifftshift(tf.complex(real, imag), axes=(-2, -1))
        planes = tf.math.real(tf.signal.ifft2d(spectrum))
    else:
        planes = matmul_dft.inverse_real_dft2(real, imag, shift=True, dtype=dtype.name)
    return _images(planes, channels)


def _check_images_shape(shape, name="inputs"):
    shape = tuple(shape)
    if len(shape) != 4 or shape[3] is None:
        raise ValueError(f"`{name}` must be (batch, H, W, C) with a known C. Received: shape={shape}")
    return shape


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectrumDecomposition(keras.layers.Layer):
    """Image -> normalised log magnitude and phase of its centred spectrum (module docstring).

    Args:
        dft: ``"fft"`` (``tf.signal.fft2d``) or ``"matmul"`` (MatMul DFT: ONNX without a DFT operator).
        floor: the magnitude unit inside ``log(1 + |F| / floor)``: a positive number (1: the published ``log1p``)
            or ``"8-bit"`` (the rounding noise of an 8-bit image of that size; module docstring).
        **kwargs: base layer keyword arguments (``name``...).

    Input shape:
        ``(batch, H, W, C)`` images (any range; the refiner uses [0, 1]); H and W must be known when called.

    Output:
        A dict: ``magnitude`` ``(batch, H, W, C)`` in [-1, 1] (centred: DC at ``(H // 2, W // 2)``),
        ``phase_cos`` and ``phase_sin`` ``(batch, H, W, C)`` (the unit phasor, 0 where ``|F| = 0``), ``low`` and
        ``high`` ``(batch, 1, 1, 1)`` (min and max of ``log(1 + |F| / floor)`` over the image). All float32
        (float64 for float64 images).

    Example:

    >>> parts = SpectrumDecomposition()(np.random.rand(2, 32, 32, 3).astype("float32"))
    >>> parts["magnitude"].shape, float(parts["magnitude"].numpy().max())
    (TensorShape([2, 32, 32, 3]), 1.0)
    """

    def __init__(self, dft="fft", floor=1.0, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.dft = check_dft(dft)
        self.floor = check_floor(floor)

    def build(self, input_shape):
        _check_images_shape(input_shape)
        self.built = True

    def call(self, inputs):
        real, imag = centred_spectrum(inputs, self.dft)
        modulus = tf.sqrt(tf.square(real) + tf.square(imag))
        unit = floor_value(self.floor, inputs.shape[1], inputs.shape[2])
        # log(1 + x), not log1p / expm1: tf2onnx converts neither.
        log_magnitude = tf.math.log(modulus * (1.0 / unit) + 1.0)
        low = tf.reduce_min(log_magnitude, axis=[1, 2, 3], keepdims=True)
        high = tf.reduce_max(log_magnitude, axis=[1, 2, 3], keepdims=True)
        magnitude = (log_magnitude - low) / tf.maximum(high - low, SPAN_FLOOR) * 2.0 - 1.0
        has_phase = tf.cast(modulus > MAGNITUDE_FLOOR, modulus.dtype)
        inverse = has_phase / tf.maximum(modulus, MAGNITUDE_FLOOR)
        return {"magnitude": magnitude, "phase_cos": real * inverse, "phase_sin": imag * inverse,
                "low": low, "high": high}

    def compute_output_spec(self, inputs):
        shape = _check_images_shape(inputs.shape)
        dtype = "float64" if inputs.dtype == "float64" else "float32"
        plane = keras.KerasTensor(shape, dtype=dtype)
        scalar = keras.KerasTensor((shape[0], 1, 1, 1), dtype=dtype)
        return {"magnitude": plane, "phase_cos": plane, "phase_sin": plane, "low": scalar, "high": scalar}

    def get_config(self):
        config = super().get_config()
        config.update({"dft": self.dft, "floor": self.floor})
        return config


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpectrumComposition(keras.layers.Layer):
    """Normalised log magnitude + phase (the parts of :class:`SpectrumDecomposition`) -> image.

    The magnitude is clipped to +-:data:`MAGNITUDE_LIMIT` and de-normalised with the ``low`` and ``high`` of the image it
    came from, so an unchanged magnitude gives the input image back (to float32 rounding).

    Args:
        dft: ``"fft"`` or ``"matmul"`` (see :class:`SpectrumDecomposition`).
        floor: the decomposition's ``floor`` (the same value: it is the unit of the magnitudes).
        **kwargs: base layer keyword arguments.

    Input:
        A dict with the keys of :class:`SpectrumDecomposition`'s output (``magnitude`` may be a refined one).

    Output shape:
        ``(batch, H, W, C)`` float32 images (not clipped).

    Example:

    >>> images = np.random.rand(2, 32, 32, 3).astype("float32")
    >>> back = SpectrumComposition()(SpectrumDecomposition()(images))
    >>> bool(np.abs(back.numpy() - images).max() < 1e-4)
    True
    """

    def __init__(self, dft="fft", floor=1.0, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.dft = check_dft(dft)
        self.floor = check_floor(floor)

    def build(self, input_shape):
        self.built = True

    def call(self, inputs):
        missing = [key for key in PARTS if key not in inputs]
        if missing:
            raise ValueError(f"`inputs` must hold {PARTS}; missing {missing}")
        low, high = inputs["low"], inputs["high"]
        magnitude = tf.clip_by_value(tf.cast(inputs["magnitude"], low.dtype), -MAGNITUDE_LIMIT, MAGNITUDE_LIMIT)
        log_magnitude = low + (magnitude + 1.0) * 0.5 * (high - low)
        shape = inputs["magnitude"].shape
        modulus = (tf.exp(tf.maximum(log_magnitude, 0.0)) - 1.0) * floor_value(self.floor, shape[1], shape[2])
        return image_from_centred_spectrum(modulus * inputs["phase_cos"], modulus * inputs["phase_sin"], self.dft)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs["magnitude"].shape, dtype=inputs["low"].dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"dft": self.dft, "floor": self.floor})
        return config


def frequency_coordinates(height: int, width: int) -> np.ndarray:
    """``(H, W, 2)`` float32: ``|f_y|`` and ``|f_x|`` of each position of a centred ``H x W`` spectrum, 1 at Nyquist."""
    fy = np.abs(np.arange(height) - height // 2) / max(height / 2.0, 1.0)
    fx = np.abs(np.arange(width) - width // 2) / max(width / 2.0, 1.0)
    grid = np.stack(np.meshgrid(fy, fx, indexing="ij"), axis=-1)
    return grid.astype(np.float32)


@keras.saving.register_keras_serializable(package="upconv_tf")
class FrequencyCoordinates(keras.layers.Layer):
    """Append the frequency of each position of a centred spectrum as two channels (``|f_y|``, ``|f_x|``).

    A convolution is blind to where it is; in a spectrum, where is which frequency. Two constant channels (CoordConv,
    Liu et al., NeurIPS 2018) let a small network treat the Nyquist lines, the corners and the DC term differently.

    Input shape:
        ``(batch, H, W, C)`` with a static H and W.

    Output shape:
        ``(batch, H, W, C + 2)``.

    Example:

    >>> FrequencyCoordinates()(np.zeros((1, 8, 8, 3), "float32")).shape
    TensorShape([1, 8, 8, 5])
    """

    def build(self, input_shape):
        _check_images_shape(input_shape)
        self.built = True

    def call(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        if height is None or width is None:
            raise ValueError(f"`inputs` must have a static H and W. Received: shape={tuple(inputs.shape)}")
        grid = tf.constant(frequency_coordinates(height, width), inputs.dtype)
        # Broadcast against a zero channel of the input (no Shape/Tile ops in the exported graph).
        return tf.concat([inputs, inputs[..., :1] * 0.0 + grid], axis=-1)

    def compute_output_shape(self, input_shape):
        shape = _check_images_shape(input_shape)
        return shape[:3] + (shape[3] + 2,)


def keep_dc(refined, magnitude):
    """``refined`` with the DC term (the centre of each channel's centred spectrum: the image's mean colour) taken
    from ``magnitude``: two (B, H, W, C) with a static H and W."""
    height, width = refined.shape[1], refined.shape[2]
    mask = np.zeros((height, width, 1), np.float32)
    mask[height // 2, width // 2] = 1.0
    mask = tf.constant(mask, refined.dtype)
    return refined * (1.0 - mask) + tf.cast(magnitude, refined.dtype) * mask
