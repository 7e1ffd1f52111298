"""DetectorPusher: publish a blessed detector as SavedModel + ONNX in the versioned repository layout."""


import logging
import os

from tfx import v1 as tfx

from tfx_pipeline.components import records as rec

Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing
PushedModel = tfx.types.standard_artifacts.PushedModel


def published_version(serving_root: str, model_name: str, model_uri: str):
    """Version of ``model_name`` in the layout that was published from the Model artifact ``model_uri``."""
    from upconv_tf.export import read_metadata
    from upconv_tf.export.layout import SAVED_MODELS, versions
    from upconv_tf.export.metadata import FILENAME

    folder = os.path.join(serving_root, SAVED_MODELS, model_name)
    for version in reversed(versions(folder)):
        try:
            metadata = read_metadata(os.path.join(folder, str(version), FILENAME))
        except (OSError, ValueError):
            continue
        if metadata.get("tfx", {}).get("model_artifact") == model_uri:
            return version
    return None


@tfx.dsl.components.component
def DetectorPusher(
    model: tfx.dsl.components.InputArtifact[Model],
    model_blessing: tfx.dsl.components.InputArtifact[ModelBlessing],
    pushed_model: tfx.dsl.components.OutputArtifact[PushedModel],
    serving_root: tfx.dsl.components.Parameter[str],
    model_name: tfx.dsl.components.Parameter[str],
    image_size: tfx.dsl.components.Parameter[int],
):
    """If ``model_blessing`` is blessed, write ``serving_root/saved_models/<model_name>/<version>/`` and
    ``serving_root/export/<model_name>/<version>/model.onnx`` (``upconv_tf.export.export_detector``, atomic;
    version = next free number). ``serving_root`` is a file-system path (on Vertex: a /gcs/ FUSE path).
    Records ``pushed`` (0/1), ``pushed_version`` and the paths on
    ``pushed_model`` (TFX's Pusher conventions)."""
    from tfx_pipeline.models.detector import TRAINING_FILE, load_model
    from upconv_tf.export import export_detector

    if model_blessing.get_int_custom_property("blessed") != 1:
        pushed_model.set_int_custom_property("pushed", 0)
        logging.info("model %s is not blessed: nothing pushed", model.uri)
        return
    existing = published_version(serving_root, model_name, model.uri)
    if existing is not None:
        # Re-running after a push: the Trainer is cached, but the resolver now returns this very model as
        # the baseline, so the Evaluator runs again and blesses it again. It is already published.
        pushed_model.set_int_custom_property("pushed", 0)
        pushed_model.set_int_custom_property("already_pushed_version", existing)
        logging.info("model %s is already published as version %d", model.uri, existing)
        return
    training = rec.read_json(os.path.join(model.uri, "Format-Serving", TRAINING_FILE))
    evaluation = {key: model_blessing.get_float_custom_property(key)
                  for key in ("candidate_balanced_accuracy", "candidate_roc_auc", "candidate_mean_source_fpr")}
    result = export_detector(
        load_model(model.uri), image_size=image_size, name=model_name, root=serving_root,
        metadata={"tfx": {"model_artifact": model.uri, "model_id": model.id, "training": training,
                          "evaluation": evaluation}},
    )
    record = {"version": result.version, "saved_model": result.saved_model, "onnx": result.onnx}
    rec.write_json(record, os.path.join(pushed_model.uri, "pushed.json"))
    pushed_model.set_int_custom_property("pushed", 1)
    pushed_model.set_int_custom_property("pushed_version", int(result.version))
    pushed_model.set_string_custom_property("pushed_destination", result.saved_model)
    pushed_model.set_string_custom_property("pushed_onnx", result.onnx)
    logging.info("pushed version %s: %s", result.version, record)
