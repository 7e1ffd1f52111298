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

# Compared with the baseline's: balanced accuracy at each model's own threshold, and ROC-AUC.
METRICS = ("balanced_accuracy", "roc_auc")


def score(detector, records) -> dict:
    """The grouped evaluation of ``detector`` on ``records`` at its own threshold
    (``tfx_pipeline.models.detector.grouped_evaluation``: ROC-AUC, balanced accuracy, each real source's FPR)."""
    from tfx_pipeline.models.detector import grouped_evaluation

    return grouped_evaluation(detector, records)


def decide(candidate: dict, baseline, tolerance: float, min_balanced_accuracy: float, min_auc: float,
           max_fpr: float = 1.0):
    """Return (blessed, reasons): the gate. ``baseline`` is None for the first model."""
    reasons = []
    if candidate["balanced_accuracy"] < min_balanced_accuracy:
        reasons.append(f"balanced_accuracy {candidate['balanced_accuracy']:.4f} < min_balanced_accuracy "
                       f"{min_balanced_accuracy}")
    if candidate["roc_auc"] < min_auc:
        reasons.append(f"roc_auc {candidate['roc_auc']:.4f} < min_auc {min_auc}")
    if candidate["mean_source_fpr"] > max_fpr:
        reasons.append(f"mean_source_fpr {candidate['mean_source_fpr']:.4f} > max_fpr {max_fpr}")
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
    min_balanced_accuracy: tfx.dsl.components.Parameter[float] = 0.0,
    min_auc: tfx.dsl.components.Parameter[float] = 0.0,
    max_fpr: tfx.dsl.components.Parameter[float] = 1.0,
):
    """Bless ``model`` if its balanced accuracy at its own threshold and its ROC-AUC on ``split`` are each >= the
    baseline's minus ``tolerance``, >= the absolute minimums, and its false-positive rate averaged over the
    split's real sources is <= ``max_fpr``. Both models are scored from the images, on the same split (the
    grouped evaluation of ``upconv-tf detector evaluate``)."""
    from tfx_pipeline.models.detector import load_model

    records = rec.read_records(rec.split_files(examples.uri, split))
    candidate = score(load_model(model.uri), records)
    baseline = score(load_model(baseline_model.uri), records) if baseline_model is not None else None
    blessed, reasons = decide(candidate, baseline, tolerance, min_balanced_accuracy, min_auc, max_fpr)
    result = {"split": split, "candidate": candidate, "baseline": baseline, "blessed": blessed,
              "reasons": reasons, "candidate_model": model.uri,
              "baseline_model": baseline_model.uri if baseline_model is not None else None,
              "thresholds": {"tolerance": tolerance, "min_balanced_accuracy": min_balanced_accuracy,
                             "min_auc": min_auc, "max_fpr": max_fpr}}
    rec.write_json(result, os.path.join(evaluation.uri, "metrics.json"))
    rec.write_json({}, os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"))
    blessing.set_int_custom_property("blessed", int(blessed))
    blessing.set_int_custom_property("current_model_id", model.id)
    blessing.set_string_custom_property("current_model", model.uri)
    if baseline_model is not None:
        blessing.set_int_custom_property("baseline_model_id", baseline_model.id)
        blessing.set_string_custom_property("baseline_model", baseline_model.uri)
    for name, metrics in (("candidate", candidate), ("baseline", baseline)):
        for metric in METRICS + ("mean_source_fpr",) if metrics else ():
            blessing.set_float_custom_property(f"{name}_{metric}", metrics[metric])
    logging.info("evaluation: blessed=%s candidate=%s baseline=%s %s", blessed, candidate, baseline, reasons)
