"""DetectorEvaluator: score the candidate and the last blessed model on the held-out split; bless or not.

The blessing follows TFX's Evaluator conventions (custom properties ``blessed`` and ``current_model_id``,
files ``BLESSED`` / ``NOT_BLESSED``), so ``LatestBlessedModelStrategy`` finds the last blessed model and the
Pusher gate reads it like a standard blessing.
"""


import logging
import os

from tfx import v1 as tfx

from tfx_pipeline.components import records as rec

Examples = tfx.types.standard_artifacts.Examples
Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing
ModelEvaluation = tfx.types.standard_artifacts.ModelEvaluation

METRICS = ("accuracy", "roc_auc")


def score(detector, images, labels) -> dict:
    """Accuracy (threshold 0.5) and ROC-AUC of P(generated) against ``labels`` (1 = generated)."""
    import numpy as np
    from sklearn.metrics import accuracy_score, roc_auc_score

    probability = detector.predict_proba(images)[:, 1]
    return {"accuracy": float(accuracy_score(labels, (probability >= 0.5).astype(np.int64))),
            "roc_auc": float(roc_auc_score(labels, probability)),
            "count": int(len(labels))}


def decide(candidate: dict, baseline, tolerance: float, min_accuracy: float, min_auc: float):
    """Return (blessed, reasons): the gate. ``baseline`` is None for the first model."""
    reasons = []
    if candidate["accuracy"] < min_accuracy:
        reasons.append(f"accuracy {candidate['accuracy']:.4f} < min_accuracy {min_accuracy}")
    if candidate["roc_auc"] < min_auc:
        reasons.append(f"roc_auc {candidate['roc_auc']:.4f} < min_auc {min_auc}")
    if baseline is not None:
        for metric in METRICS:
            if candidate[metric] < baseline[metric] - tolerance:
                reasons.append(f"{metric} {candidate[metric]:.4f} < baseline {baseline[metric]:.4f} - {tolerance}")
    return not reasons, reasons


@tfx.dsl.components.component
def DetectorEvaluator(
    examples: tfx.dsl.components.InputArtifact[Examples],
    model: tfx.dsl.components.InputArtifact[Model],
    evaluation: tfx.dsl.components.OutputArtifact[ModelEvaluation],
    blessing: tfx.dsl.components.OutputArtifact[ModelBlessing],
    baseline_model: tfx.dsl.components.InputArtifact[Model] = None,
    split: tfx.dsl.components.Parameter[str] = "eval",
    tolerance: tfx.dsl.components.Parameter[float] = 0.0,
    min_accuracy: tfx.dsl.components.Parameter[float] = 0.0,
    min_auc: tfx.dsl.components.Parameter[float] = 0.0,
):
    """Bless ``model`` if its accuracy and ROC-AUC on ``split`` are each >= the baseline's minus
    ``tolerance`` (and >= the absolute minimums). Both models are scored from the images, on the same split."""
    from tfx_pipeline.models.detector import load_model

    images, labels = rec.images_and_labels(rec.read_records(rec.split_files(examples.uri, split)))
    candidate = score(load_model(model.uri), images, labels)
    baseline = score(load_model(baseline_model.uri), images, labels) if baseline_model is not None else None
    blessed, reasons = decide(candidate, baseline, tolerance, min_accuracy, min_auc)
    result = {"split": split, "candidate": candidate, "baseline": baseline, "blessed": blessed,
              "reasons": reasons, "candidate_model": model.uri,
              "baseline_model": baseline_model.uri if baseline_model is not None else None,
              "thresholds": {"tolerance": tolerance, "min_accuracy": min_accuracy, "min_auc": min_auc}}
    rec.write_json(result, os.path.join(evaluation.uri, "metrics.json"))
    rec.write_json({}, os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"))
    blessing.set_int_custom_property("blessed", int(blessed))
    blessing.set_int_custom_property("current_model_id", model.id)
    blessing.set_string_custom_property("current_model", model.uri)
    if baseline_model is not None:
        blessing.set_int_custom_property("baseline_model_id", baseline_model.id)
        blessing.set_string_custom_property("baseline_model", baseline_model.uri)
    for name, metrics in (("candidate", candidate), ("baseline", baseline)):
        for metric in METRICS if metrics else ():
            blessing.set_float_custom_property(f"{name}_{metric}", metrics[metric])
    logging.info("evaluation: blessed=%s candidate=%s baseline=%s %s", blessed, candidate, baseline, reasons)
