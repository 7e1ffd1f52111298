"""The pretrained models shipped in saved_models/ and export/ load, validate and agree across formats."""

import os

import numpy as np
import pytest

from upconv_tf.runtime import OnnxDetector, OnnxGenerator, SavedModelDetector, SavedModelGenerator, load_predictor

from paths import REPO, shipped_version

ROOT = REPO


def test_shipped_detector_formats_agree_and_record_their_provenance():
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.fakes import make_fakes

    onnx = OnnxDetector(os.path.join(ROOT, "export", "spectral-detector", "1"))
    saved = SavedModelDetector(os.path.join(ROOT, "saved_models", "spectral-detector", "1"))
    size = onnx.image_size[0]
    images = np.concatenate([bundled_crops(size, 6, seed=99).images,
                             make_fakes(bundled_crops(size, 6, seed=98).images, "transconv")])
    np.testing.assert_allclose(onnx.probability(images), saved.probability(images), rtol=0, atol=1e-5)
    for runner in (onnx, saved):
        assert runner.metadata["rebuild_command"].startswith("python -m upconv_tf.workflows.pretrained")
        assert 0.5 <= runner.metadata["metrics"]["test_accuracy"] <= 1.0
    assert isinstance(load_predictor(os.path.join(ROOT, "saved_models", "spectral-detector")), SavedModelDetector)


def test_shipped_wild_detector_is_the_default_recipe_with_its_cross_family_metrics():
    """The highest version: the in-the-wild detector, the default preset, float32 inside the graph."""
    from upconv_tf.datasets import bundled_crops
    from upconv_tf.fakes import make_fakes

    version = shipped_version()
    onnx = OnnxDetector(os.path.join(ROOT, "export", "spectral-detector", version))
    saved = SavedModelDetector(os.path.join(ROOT, "saved_models", "spectral-detector", version))
    size = onnx.image_size[0]
    images = np.concatenate([bundled_crops(size, 4, seed=99).images,
                             make_fakes(bundled_crops(size, 4, seed=98).images, "transconv")])
    np.testing.assert_allclose(onnx.probability(images), saved.probability(images), rtol=0, atol=1e-3)
    for runner in (onnx, saved):
        metadata = runner.metadata
        assert metadata["rebuild_command"].startswith("python -m upconv_tf.workflows.pretrained --only wild-detector")
        assert (metadata["preset"]["name"], metadata["preset"]["feature_kind"], size) == \
            ("default", "rings-cells-colour", metadata["preset"]["size"])
        assert metadata["threshold"] == metadata["metrics"]["threshold"]["threshold"] >= 0.5
        cross = metadata["metrics"]["cross_family"]
        assert set(cross["by_family"]) == {"api", "app-utility", "flux", "open models", "qwen"}
        assert 0.5 < cross["mean"]["none"]["roc_auc"] <= 1.0
    assert load_predictor(os.path.join(ROOT, "saved_models", "spectral-detector")).path.endswith(version)


def test_shipped_generator_formats_agree():
    onnx = OnnxGenerator(os.path.join(ROOT, "export", "generator", "1"))
    saved = SavedModelGenerator(os.path.join(ROOT, "saved_models", "generator", "1"))
    latent = np.random.default_rng(0).standard_normal((4, onnx.metadata["input"]["shape"][1])).astype(np.float32)
    expected = saved.generate(latent)
    assert expected.shape[1:] == tuple(onnx.metadata["output"]["shape"][1:])
    assert np.abs(onnx.generate(latent) - expected).max() <= 1e-4 * np.abs(expected).max()
    assert np.all(np.abs(expected) <= 1.0)


@pytest.mark.parametrize("folder", ["saved_models", "export"])
def test_shipped_models_are_small(folder):
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(os.path.join(ROOT, folder))
                for f in files)
    # An in-the-wild SVM detector is its support vectors in float32: version 2 about 1900 x 505 (3.9 MB per
    # format), version 3 about 4100 x 505 (8.4 MB); both ship, so that a pinned version keeps working.
    assert total < 16 * 2**20


def _modes(data):
    """Every value of a ``mode`` key, at any depth."""
    if isinstance(data, dict):
        return [v for k, v in data.items() if k == "mode"] + [m for v in data.values() for m in _modes(v)]
    return [m for v in data for m in _modes(v)] if isinstance(data, list) else []


@pytest.mark.parametrize("folder", ["saved_models", "export"])
def test_shipped_metadata_has_no_machine_path_one_mode_and_says_what_each_model_is_for(folder):
    import glob
    import json

    from upconv_tf.resolve import METADATA_FILE

    paths = sorted(glob.glob(os.path.join(ROOT, folder, "*", "*", METADATA_FILE)))
    assert len(paths) >= 3
    for path in paths:
        metadata = json.load(open(path))
        command = metadata["rebuild_command"]
        assert command.startswith("python -m upconv_tf.workflows.pretrained") and "/" not in command, path
        assert len(set(map(str, _modes(metadata)))) <= 1, (path, _modes(metadata))  # one meaning of "mode"
        use = metadata["intended_use"]
        assert use["for"] and use["not_for"] and "\n" not in use["for"] + use["not_for"], path


def test_the_rebuild_command_records_placeholders_for_paths():
    from upconv_tf.workflows.pretrained import rebuild_command

    command = rebuild_command(["--only", "wild-detector", "--cache", "/home/me/corpus", "--root=/srv/repo", "--seed", "1"])
    assert command == ("python -m upconv_tf.workflows.pretrained --only wild-detector --cache CORPUS --root=ROOT "
                       "--seed 1")


def test_readme_says_what_each_shipped_model_is_for():
    """README's row per shipped model is its metadata.json ``intended_use`` (the demo prints the same)."""
    import glob
    import json

    from upconv_tf.workflows.pretrained import shipped_models

    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    assert {m["name"] for m in shipped_models()} == {"spectral-detector", "generator"}
    for path in sorted(glob.glob(os.path.join(ROOT, "saved_models", "*", "*", "metadata.json"))):
        use = json.load(open(path))["intended_use"]
        assert f"| {use['for']} | {use['not_for']} |" in readme, path
