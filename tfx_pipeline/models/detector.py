"""Trainer module: ``run_fn`` fits a detector preset (``upconv_tf.detection.presets``) on the training images.

The Trainer gets the ingested examples (images at the preset's crop, label, source) and fits the preset as
``upconv-tf detector train`` does (:func:`upconv_tf.detection.preset_features` and
:func:`~upconv_tf.detection.fit_preset`): its features, augmentation (twins of each image through the
processing chain), classifier and threshold, calibrated out of fold with real images grouped by source (each
source weighing alike). It reports the grouped evaluation of the eval split at the model's own threshold
(:func:`upconv_tf.detection.grouped_metrics`: ROC-AUC, balanced accuracy, the false-positive rate of each real
source). ``custom_config`` is ``{"preset", "overrides", "random_state", "input": {"size", "policy"}}``
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


def preset_items(records):
    """``(path, image, label, group, family, source)`` of ingested records (what
    :func:`upconv_tf.detection.preset_features` reads): a record's source is its group, and a real image's
    source."""
    from tfx_pipeline.components import records as rec

    for record in records:
        label = int(record["label"])
        yield (record["path"], rec.decode_png(record["image"]), label, record["source"], "",
               record["source"] if label == 0 else "")


def grouped_evaluation(detector, records) -> dict:
    """:func:`upconv_tf.detection.grouped_metrics` of ``detector`` on ``records`` at its own threshold."""
    from tfx_pipeline.components import records as rec
    from upconv_tf.detection import grouped_metrics

    images, labels = rec.images_and_labels(records)
    scores = detector.predict_proba(images)[:, 1]
    metrics = grouped_metrics(labels, scores, float(detector.threshold_), [r["source"] for r in records])
    metrics["count"] = int(len(labels))
    metrics["threshold"] = float(detector.threshold_)
    return metrics


def run_fn(fn_args):
    """TFX Trainer entry point (``Trainer(run_fn="tfx_pipeline.models.detector.run_fn")``)."""
    import warnings

    import tensorflow as tf

    from tfx_pipeline.components import records as rec
    from upconv_tf.detection import detector_preset, fit_preset, preset_features

    config = dict(fn_args.custom_config or {})
    size = config.get("input", {})
    recipe = detector_preset(config.get("preset", "default"), size=size.get("size"),
                             policy=size.get("policy", "center-crop"), **config.get("overrides", {}))
    seed = int(config.get("random_state", 0))
    train_records = rec.read_records(fn_args.train_files)
    eval_records = rec.read_records(fn_args.eval_files)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        features = preset_features(preset_items(train_records), recipe, seed=seed, errors=[])
        detector = fit_preset(features, seed=seed)
    X, y, _, original, _ = features.training_rows()
    report = {
        "preset": recipe.as_dict(),
        "train_count": int(len(features.labels)),
        "train_rows": int(len(X)),
        "train_balanced_accuracy": float(np.mean([(detector.predict(X[original & (y == k)]) == k).mean()
                                                  for k in (0, 1)])),
        "threshold": dict(detector.threshold_calibration_, threshold=float(detector.threshold_)),
        "eval": grouped_evaluation(detector, eval_records),
        "warnings": sorted({str(w.message) for w in caught}),
    }
    training = {key: value for key, value in report.items() if key not in ("preset", "warnings")}
    save_model(detector, fn_args.serving_model_dir, metadata={"input": size, "preset": recipe.as_dict(),
                                                             "training": training})
    for folder in {fn_args.serving_model_dir, fn_args.model_run_dir}:
        tf.io.gfile.makedirs(folder)
        rec.write_json(report, os.path.join(folder, TRAINING_FILE))
    logging.info("trained preset %s: %s", recipe.name, report["eval"])
