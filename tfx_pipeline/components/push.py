"""DetectorPusher: publish a blessed detector as SavedModel + ONNX in the versioned repository layout."""


import json
import logging
import os

from tfx import v1 as tfx

Model = tfx.types.standard_artifacts.Model
ModelBlessing = tfx.types.standard_artifacts.ModelBlessing
PushedModel = tfx.types.standard_artifacts.PushedModel


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
    version = next free number). Records ``pushed`` (0/1), ``pushed_version`` and the paths on
    ``pushed_model`` (TFX's Pusher conventions)."""
    from upconv_tf.export import export_detector

    from tfx_pipeline.models.detector import TRAINING_FILE, load_model

    if model_blessing.get_int_custom_property("blessed") != 1:
        pushed_model.set_int_custom_property("pushed", 0)
        logging.info("model %s is not blessed: nothing pushed", model.uri)
        return
    training = {}
    training_path = os.path.join(model.uri, "Format-Serving", TRAINING_FILE)
    if os.path.exists(training_path):
        with open(training_path) as handle:
            training = json.load(handle)
    evaluation = {key: model_blessing.get_float_custom_property(key)
                  for key in ("candidate_accuracy", "candidate_roc_auc")}
    result = export_detector(
        load_model(model.uri), image_size=image_size, name=model_name, root=serving_root,
        metadata={"tfx": {"model_artifact": model.uri, "model_id": model.id, "training": training,
                          "evaluation": evaluation}},
    )
    record = {"version": result.version, "saved_model": result.saved_model, "onnx": result.onnx}
    with open(os.path.join(pushed_model.uri, "pushed.json"), "w") as handle:
        json.dump(record, handle, indent=1)
    pushed_model.set_int_custom_property("pushed", 1)
    pushed_model.set_int_custom_property("pushed_version", int(result.version))
    pushed_model.set_string_custom_property("pushed_destination", result.saved_model)
    pushed_model.set_string_custom_property("pushed_onnx", result.onnx)
    logging.info("pushed version %s: %s", result.version, record)
