"""The spectral detector (Durall et al., CVPR 2020, s. 4.1): feature transformer, estimator, evaluation
protocol, persistence without pickle, and file-level detection."""

from upconv_tf.detection.estimator import CLASSIFIERS, SpectralDetector, power_law_departure
from upconv_tf.detection.features import FEATURE_KINDS, SpectralFeatures
from upconv_tf.detection.evaluation import balanced_sample, evaluate_detector, format_table, grouped_splits
from upconv_tf.detection.files import GROUP_BY, detect_files, file_features, group_ids, iter_file_batches
from upconv_tf.detection.persistence import (
    DetectorLoadError,
    detector_arrays,
    load_detector,
    read_detector_info,
    save_detector,
)

__all__ = [
    "CLASSIFIERS", "FEATURE_KINDS", "GROUP_BY", "DetectorLoadError", "SpectralDetector", "SpectralFeatures",
    "balanced_sample", "detect_files",
    "detector_arrays", "evaluate_detector", "file_features", "format_table", "group_ids", "grouped_splits",
    "iter_file_batches", "load_detector", "power_law_departure", "read_detector_info", "save_detector",
]
