"""Deprecated: the folder workflows moved to :mod:`upconv_tf.workflows` (this module goes in the next release)."""

from upconv_tf._deprecated import moved

__getattr__ = moved(__name__, {
    "NoUsableImages": "upconv_tf.errors",
    "skipped_records": "upconv_tf.errors:records",
    "folder_spectrum": "upconv_tf.workflows.spectrum",
    "spectrum_statistics": "upconv_tf.workflows.spectrum",
    "plot_spectrum_statistics": "upconv_tf.workflows.spectrum",
    "FolderFeatures": "upconv_tf.workflows.features",
    "folder_features": "upconv_tf.workflows.features",
    "read_family_map": "upconv_tf.workflows.features",
    "file_family": "upconv_tf.workflows.features",
    "labelled_files": "upconv_tf.workflows.features",
    "folder_preset_features": "upconv_tf.workflows.features",
    "TrainedDetector": "upconv_tf.workflows.detector",
    "train_detector": "upconv_tf.workflows.detector",
    "evaluate_detector_on_folders": "upconv_tf.workflows.detector",
    "evaluate_preset_on_folders": "upconv_tf.workflows.detector",
    "PRESET_PROTOCOLS": "upconv_tf.workflows.detector",
    "detect": "upconv_tf.workflows.detect",
})
