"""Trainer module: ``run_fn`` fits ``upconv_tf.detection.SpectralDetector`` on the spectral features.

The Trainer gets the ``SpectralFeatures`` examples; their ``profile`` feature is exactly the detector's
feature step with the same (mode, normalize, num_bins), so the detector is fitted on the profiles
(``SpectralDetector.fit`` accepts precomputed features) and still predicts from images afterwards.
``custom_config`` is ``{"detector": SpectralDetector parameters, "input": {"size", "policy"}}``
(``configs.PipelineConfig.trainer_config``).

The model folder (``fn_args.serving_model_dir``) holds the fitted detector in upconv_tf's pickle-free
detector format (:func:`save_model` / :func:`load_model`) and ``training.json``.
"""

from __future__ import annotations

import logging
import os

import numpy as np

DETECTOR_DIR = "detector"
TRAINING_FILE = "training.json"


def save_model(detector, model_dir: str, metadata=None) -> str:
    """Write a fitted detector into ``model_dir/detector`` (upconv_tf's pickle-free format, so
    ``upconv-tf detect --model MODEL_DIR/detector`` works on it too)."""
    from tfx_pipeline.components.records import local_folder
    from upconv_tf.detection import save_detector

    with local_folder(model_dir, upload=True) as folder:
        save_detector(detector, os.path.join(folder, DETECTOR_DIR), metadata=metadata)
    return os.path.join(model_dir, DETECTOR_DIR)


def load_model(model_dir: str):
    """Load the detector of a Trainer model folder (``Model`` artifact URI or its ``Format-Serving``)."""
    import tensorflow as tf

    from tfx_pipeline.components.records import local_folder
    from upconv_tf.detection import load_detector

    for candidate in (os.path.join(model_dir, DETECTOR_DIR), os.path.join(model_dir, "Format-Serving", DETECTOR_DIR)):
        if tf.io.gfile.isdir(candidate):
            with local_folder(candidate) as folder:
                return load_detector(folder)
    raise FileNotFoundError(f"No detector folder in model {model_dir!r} (expected {DETECTOR_DIR}/).")


def profiles_and_labels(records):
    if not records or any("profile" not in record for record in records):
        raise ValueError("The examples carry no `profile` feature: feed the SpectralFeatures output to the Trainer.")
    return (np.stack([record["profile"] for record in records]),
            np.array([record["label"] for record in records], np.int64))


def run_fn(fn_args):
    """TFX Trainer entry point (``Trainer(run_fn="tfx_pipeline.models.detector.run_fn")``)."""
    import tensorflow as tf
    from sklearn.metrics import accuracy_score, roc_auc_score

    from tfx_pipeline.components import records as rec
    from upconv_tf.detection import SpectralDetector

    config = dict(fn_args.custom_config or {})
    params = dict(config.get("detector", {}))
    train_x, train_y = profiles_and_labels(rec.read_records(fn_args.train_files))
    eval_x, eval_y = profiles_and_labels(rec.read_records(fn_args.eval_files))
    detector = SpectralDetector(**params).fit(train_x, train_y)
    probability = detector.predict_proba(eval_x)[:, 1]
    report = {
        "params": params,
        "train_count": int(len(train_y)),
        "eval_count": int(len(eval_y)),
        "train_accuracy": float(accuracy_score(train_y, detector.predict(train_x))),
        "eval_accuracy": float(accuracy_score(eval_y, (probability >= 0.5).astype(int))),
        "eval_roc_auc": float(roc_auc_score(eval_y, probability)),
    }
    training = {key: value for key, value in report.items() if key != "params"}
    save_model(detector, fn_args.serving_model_dir, metadata={"input": config.get("input", {}), "training": training})
    for folder in {fn_args.serving_model_dir, fn_args.model_run_dir}:
        tf.io.gfile.makedirs(folder)
        rec.write_json(report, os.path.join(folder, TRAINING_FILE))
    logging.info("trained %s: %s", params.get("classifier"), report)
