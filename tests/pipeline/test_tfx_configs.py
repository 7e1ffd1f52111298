"""The TFX pipeline's settings (tfx_pipeline/configs.py, importable without TFX) agree with the library: the
Trainer fits the library's default preset, and the gate reads the library's grouped evaluation."""

import inspect

import numpy as np
import pytest

from tfx_pipeline import configs
from upconv_tf.detection import PRESETS, SpectralDetector, detector_preset


def test_tfx_trains_the_library_default_preset():
    config = configs.PipelineConfig()
    assert config.preset == "default" and config.size == PRESETS["default"].size == 192
    assert config.overrides() == {}
    assert config.recipe() == detector_preset("default")
    # The one deliberate difference: the pipeline is seeded, so a rerun on the same data gives the same model.
    library = inspect.signature(SpectralDetector.__init__).parameters["random_state"].default
    assert library is None and config.detector_params()["random_state"] == configs.RANDOM_STATE == 0
    assert SpectralDetector(**config.detector_params()).get_params() == \
        detector_preset("default").detector(random_state=0).get_params()
    trainer = config.trainer_config()
    assert trainer == {"preset": "default", "overrides": {}, "random_state": 0,
                       "input": {"size": 192, "policy": "center-crop"}}


@pytest.mark.parametrize("text, value", [("0.86", 0.86), ("scale", "scale"), ("auto", "auto"), ("2", 2.0)])
def test_gamma_setting_takes_numbers_and_names(text, value):
    config = configs.PipelineConfig().with_overrides([f"gamma={text}"])
    assert config.gamma == value and config.detector_params()["gamma"] == value
    SpectralDetector(**config.detector_params())._check_params()


def test_azimuthal_trainer_takes_the_spectrum_settings():
    config = configs.PipelineConfig().with_overrides(["feature_kind=azimuthal", "num_bins=2", "normalize=none",
                                                      "image_size=64"])
    assert config.overrides() == {"feature_kind": "azimuthal", "mode": "reference", "normalize": None,
                                  "num_bins": 2}
    recipe = config.recipe()
    assert (recipe.feature_kind, recipe.num_bins, recipe.normalize, recipe.size) == ("azimuthal", 2, None, 64)
    # rings-cells-colour features take no num_bins: the monitor's setting does not reach them.
    assert "num_bins" not in configs.PipelineConfig().with_overrides(["num_bins=2"]).overrides()


def test_ingested_sources_keep_the_crops_of_one_photo_together():
    pytest.importorskip("tfx")  # the ingestion module is a TFX component
    from tfx_pipeline.components.ingest import source_key

    assert source_key("astronaut/s0_0001.png") == "astronaut"
    assert source_key("astronaut_0001.png") == source_key("astronaut_0002.png") == "astronaut"
    assert source_key("plain.png") == "plain"


def test_the_gate_reads_the_grouped_evaluation():
    pytest.importorskip("tfx")  # the evaluator module is a TFX component
    from tfx_pipeline.components.evaluate import decide

    good = {"balanced_accuracy": 0.9, "roc_auc": 0.95, "mean_source_fpr": 0.05}
    assert decide(good, None, 0.0, 0.6, 0.6, 0.2) == (True, [])
    noisy = dict(good, mean_source_fpr=0.3)
    blessed, reasons = decide(noisy, None, 0.0, 0.6, 0.6, 0.2)
    assert not blessed and "mean_source_fpr" in reasons[0]
    assert not decide(good, dict(good, balanced_accuracy=0.95), 0.0, 0.6, 0.6, 0.2)[0]


def test_grouped_metrics_give_each_real_source_its_false_positive_rate():
    from upconv_tf.detection import grouped_metrics

    labels = np.r_[np.zeros(6), np.ones(4)]
    scores = np.array([0.1, 0.9, 0.2, 0.3, 0.1, 0.2, 0.8, 0.9, 0.7, 0.2])
    sources = ["a", "a", "b", "b", "b", "b", "g", "g", "g", "g"]
    metrics = grouped_metrics(labels, scores, 0.5, sources)
    assert metrics["source_fpr"] == {"a": 0.5, "b": 0.0}
    assert metrics["mean_source_fpr"] == 0.25 and metrics["worst_source_fpr"] == 0.5
    assert metrics["fpr"] == pytest.approx(1 / 6) and metrics["tpr"] == 0.75
