"""The spectral detector (Durall et al., CVPR 2020, s. 4.1): feature transformer, estimator, presets (the
paper's recipe and the robust default), training rows with augmentation, evaluation protocols, persistence
without pickle, and file-level detection."""

from upconv_tf.detection.estimator import CLASSIFIERS, SpectralDetector, power_law_departure
from upconv_tf.detection.evaluation import (
    balanced_sample,
    detection_metrics,
    evaluate_cross_family,
    evaluate_cross_source,
    evaluate_detector,
    evaluate_splits,
    format_cross_source_table,
    format_table,
    format_treatment_table,
    grouped_metrics,
    grouped_splits,
)
from upconv_tf.detection.features import FEATURE_KINDS, SpectralFeatures
from upconv_tf.detection.files import GROUP_BY, detect_files, file_features, group_ids, iter_file_batches
from upconv_tf.detection.persistence import (
    DetectorLoadError,
    detector_arrays,
    load_detector,
    read_detector_info,
    save_detector,
)
from upconv_tf.detection.presets import PRESETS, DetectorPreset, detector_preset
from upconv_tf.detection.training import PresetFeatures, fit_preset, preset_features

__all__ = [
    "CLASSIFIERS", "FEATURE_KINDS", "GROUP_BY", "PRESETS", "DetectorLoadError", "DetectorPreset", "PresetFeatures",
    "SpectralDetector", "SpectralFeatures", "balanced_sample", "detect_files", "detection_metrics",
    "detector_arrays", "detector_preset", "evaluate_cross_family", "evaluate_cross_source", "evaluate_detector",
    "evaluate_splits", "file_features", "fit_preset", "format_cross_source_table", "format_table",
    "format_treatment_table", "group_ids", "grouped_metrics", "grouped_splits", "iter_file_batches",
    "load_detector", "power_law_departure", "preset_features", "read_detector_info", "save_detector",
]
