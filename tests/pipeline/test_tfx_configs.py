"""The TFX pipeline's settings (tfx_pipeline/configs.py, importable without TFX) agree with the library."""

import inspect

import pytest

from tfx_pipeline import configs
from upconv_tf.detection import SpectralDetector


def test_tfx_detector_defaults_equal_the_library_defaults():
    library = {name: parameter.default
               for name, parameter in inspect.signature(SpectralDetector.__init__).parameters.items()
               if name != "self"}
    tfx = configs.PipelineConfig().detector_params()
    assert set(tfx) <= set(library)
    # The one deliberate difference: the pipeline is seeded, so a rerun on the same data gives the same model.
    assert library["random_state"] is None and tfx["random_state"] == configs.RANDOM_STATE == 0
    assert {name: value for name, value in tfx.items() if name != "random_state"} == \
        {name: library[name] for name in tfx if name != "random_state"}
    assert tfx["mode"] == "reference" and tfx["gamma"] == "scale"  # not the notebooks' centered / 0.86
    # What the trainer builds from the settings is the library's default detector.
    assert SpectralDetector(**tfx).get_params() == SpectralDetector(random_state=0).get_params()


@pytest.mark.parametrize("text, value", [("0.86", 0.86), ("scale", "scale"), ("auto", "auto"), ("2", 2.0)])
def test_gamma_setting_takes_numbers_and_names(text, value):
    config = configs.PipelineConfig().with_overrides([f"gamma={text}"])
    assert config.gamma == value and config.detector_params()["gamma"] == value
    SpectralDetector(**config.detector_params())._check_params()


def test_normalize_none_setting_means_no_normalisation():
    assert configs.PipelineConfig().with_overrides(["normalize=none"]).detector_params()["normalize"] is None
    assert configs.PipelineConfig().trainer_config()["detector"]["normalize"] == "minmax"
