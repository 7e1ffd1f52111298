"""Running exported and trained models: runners for ONNX (onnxruntime, no TensorFlow), SavedModels and Keras
generators, the loaders that pick one for any path or model name, and :func:`preprocess` (an image -> the input
tensor of an exported detector, as ``upconv-tf detect`` prepares it).

Importing this package imports neither TensorFlow nor onnxruntime; each runner imports its library when a model
is opened.
"""

from upconv_tf.runtime.keras import KerasGenerator
from upconv_tf.runtime.load import input_settings, load, load_generator, load_predictor
from upconv_tf.runtime.onnx import (
    CPU,
    CUDA,
    OnnxDetector,
    OnnxGenerator,
    choose_providers,
    provider_options,
    session_options,
)
from upconv_tf.runtime.preprocess import input_policy, preprocess
from upconv_tf.runtime.refiner import KerasRefiner, OnnxRefiner, SavedModelRefiner, load_refiner
from upconv_tf.runtime.savedmodel import SavedModelDetector, SavedModelGenerator

__all__ = [
    "CPU", "CUDA", "KerasGenerator", "KerasRefiner", "OnnxDetector", "OnnxGenerator", "OnnxRefiner",
    "SavedModelDetector", "SavedModelGenerator", "SavedModelRefiner", "choose_providers", "input_policy",
    "input_settings", "load", "load_generator", "load_predictor", "load_refiner", "preprocess", "provider_options",
    "session_options",
]
