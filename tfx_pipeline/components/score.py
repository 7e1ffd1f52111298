"""DetectorScorer: after a push, score a configured glob of images with the pushed model (optional step).

The same ``upconv_tf.scoring.ScoreImages`` transform as ``upconv-tf score`` (through ``upconv_tf.scoring.score``),
on the pipeline's Beam arguments (``beam_pipeline_args``; with no runner named, FnApiRunner). The scores go next
to the pushed version: ``serving_root/scores/<model_name>/<version>/run-scores-SSSSS-of-NNNNN.jsonl`` (and
``run-skipped-...``); the ``scores`` artifact holds the run's summary (``summary.json``) and its counts as custom
properties. When nothing was pushed (not blessed, or already published), nothing is scored.
"""

import logging
import os

import apache_beam as beam
from tfx import v1 as tfx

from tfx_pipeline.components import records as rec

PushedModel = tfx.types.standard_artifacts.PushedModel
InferenceResult = tfx.types.standard_artifacts.InferenceResult

SCORES_FOLDER = "scores"


def scores_prefix(serving_root: str, model_name: str, version: int) -> str:
    """Output prefix of the scores of ``model_name`` version ``version``."""
    return os.path.join(serving_root, SCORES_FOLDER, model_name, str(version), "run")


@tfx.dsl.components.component(use_beam=True)
def DetectorScorer(
    pushed_model: tfx.dsl.components.InputArtifact[PushedModel],
    scores: tfx.dsl.components.OutputArtifact[InferenceResult],
    serving_root: tfx.dsl.components.Parameter[str],
    model_name: tfx.dsl.components.Parameter[str],
    score_input: tfx.dsl.components.Parameter[str],
    beam_pipeline: tfx.dsl.components.BeamComponentParameter[beam.Pipeline] = None,
):
    """Score ``score_input`` (a glob, folder or file: ``upconv-tf score --input``) with the ONNX export that
    ``pushed_model`` records; custom properties ``scored``, ``generated``, ``skipped`` and ``scores_prefix``."""
    from upconv_tf.errors import NoUsableImages
    from upconv_tf.scoring import score

    if pushed_model.get_int_custom_property("pushed") != 1:
        scores.set_int_custom_property("scored", 0)
        logging.info("nothing pushed: nothing scored")
        return
    version = pushed_model.get_int_custom_property("pushed_version")
    export = os.path.dirname(pushed_model.get_string_custom_property("pushed_onnx"))
    prefix = scores_prefix(serving_root, model_name, version)
    try:
        summary = score(score_input, export, prefix, beam_args=beam_pipeline.options)
    except NoUsableImages as error:  # a step of a nightly pipeline: recorded, not fatal
        summary = {"scored": 0, "generated": 0, "error": str(error), "skipped": [s.as_record() for s in error.skipped]}
    rec.write_json(summary, os.path.join(scores.uri, "summary.json"))
    scores.set_int_custom_property("scored", int(summary["scored"]))
    scores.set_int_custom_property("generated", int(summary["generated"]))
    scores.set_int_custom_property("skipped", len(summary["skipped"]))
    scores.set_string_custom_property("scores_prefix", prefix)
    logging.info("scored %s image(s) with %s version %s: %s", summary["scored"], model_name, version, prefix)
