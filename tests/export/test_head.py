"""A detector shipped as its head (no backbone weights in git): found by name from any folder and run with
scikit-learn, its ONNX asked for by name says how to build it, and the build makes a SavedModel and ONNX that
agree with the head."""

import json
import os

import numpy as np
import pytest

from upconv_tf.datasets import bundled_crops
from upconv_tf.fakes import make_fakes

SIZE = 64


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A models home holding version 1 of a small hybrid logistic-regression head."""
    from upconv_tf.detection import SpectralDetector
    from upconv_tf.export import write_head

    real, other = bundled_crops(SIZE, 24, seed=70).images, bundled_crops(SIZE, 24, seed=71).images
    X, y = np.concatenate([real, make_fakes(other, "transconv")]), np.r_[np.zeros(24), np.ones(24)]
    detector = SpectralDetector("logreg", feature_kind="hybrid", target_fpr=0.1, random_state=0)
    detector.fit(X, y, groups=np.r_[np.arange(24) // 3, 100 + np.arange(24) // 3])
    root = tmp_path_factory.mktemp("home")
    folder = write_head(detector, image_size=SIZE, name="hybrid-head", root=root,
                        metadata={"metrics": {"cross_source": {"by_source": {"a": {"fpr": 0.05}}}}})
    return root, folder, detector, X


def test_the_head_is_a_small_detector_folder_with_the_exports_metadata(home):
    root, folder, detector, _ = home
    assert sorted(os.listdir(folder)) == [".gitignore", "detector.json", "detector.npz", "metadata.json"]
    assert sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) < 200_000  # no backbone
    data = json.loads((root / "saved_models" / "hybrid-head" / "1" / "metadata.json").read_text())
    assert data["kind"] == "detector" and data["version"] == 1 and data["backbone"]["name"] == "efficientnet-lite0"
    assert data["head"]["build"] == "upconv-tf export hybrid-head"
    assert data["threshold"] == detector.threshold_ and data["metrics"]["cross_source"]["by_source"]["a"]
    assert json.loads((root / "export" / "hybrid-head" / "1" / "metadata.json").read_text()) == data
    assert "model.onnx" in (root / "export" / "hybrid-head" / "1" / ".gitignore").read_text()


def test_found_by_name_from_any_folder_and_run_without_a_build(home, tmp_path, monkeypatch):
    from upconv_tf.resolve import resolve_model
    from upconv_tf.runtime import load_predictor

    root, folder, detector, X = home
    monkeypatch.setenv("UPCONV_TF_HOME", str(root))
    monkeypatch.chdir(tmp_path)
    ref = resolve_model("hybrid-head")
    assert (ref.format, ref.version, ref.path) == ("detector-folder", 1, str(folder))
    np.testing.assert_allclose(load_predictor("hybrid-head").predict_proba(X[:4]), detector.predict_proba(X[:4]))
    with pytest.raises(ValueError, match="run `upconv-tf export hybrid-head` once"):
        resolve_model("hybrid-head", backend="onnx")


@pytest.mark.slow
def test_the_build_writes_a_savedmodel_and_onnx_that_agree_with_the_head(home, tmp_path, monkeypatch):
    from upconv_tf.export import export_path
    from upconv_tf.runtime import load_predictor

    root, folder, detector, X = home
    monkeypatch.setenv("UPCONV_TF_HOME", str(root))
    monkeypatch.chdir(tmp_path)
    result = export_path("hybrid-head")
    assert result.version == 1 and result.onnx == os.path.join(folder, "model.onnx")
    assert os.path.isfile(root / "export" / "hybrid-head" / "1" / "model.onnx")
    expected = detector.predict_proba(X)[:, 1]
    for backend in ("onnx", "savedmodel"):
        runner = load_predictor("hybrid-head", backend=backend)
        np.testing.assert_allclose(runner.predict_proba(X)[:, 1], expected, atol=2e-3)
        assert runner.metadata["threshold"] == detector.threshold_
    assert export_path("hybrid-head").onnx == result.onnx  # built once
