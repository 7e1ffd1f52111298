"""Deprecated: the runners and loaders moved to :mod:`upconv_tf.runtime` (this module goes in the next release)."""

from upconv_tf._deprecated import moved

_PLACES = {name: "upconv_tf.runtime" for name in (
    "CPU", "CUDA", "KerasGenerator", "OnnxDetector", "OnnxGenerator",
    "SavedModelDetector", "SavedModelGenerator", "choose_providers", "input_settings", "load_generator",
    "load_predictor", "provider_options", "session_options",
)}
_PLACES.update(CPU_THREADS="upconv_tf.runtime.onnx", CPU_SPINNING="upconv_tf.runtime.onnx")
__getattr__ = moved(__name__, _PLACES)
