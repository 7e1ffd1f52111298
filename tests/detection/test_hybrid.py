"""The "hybrid" feature kind and preset: rings-cells-colour features then the pooled features of a frozen ImageNet
EfficientNet-Lite0 of the same image; numpy, SavedModel and ONNX agree; one exported graph, image in,
probability out, every ONNX node on the CUDA kernel table; the recipe is the default one with these features."""

import dataclasses
import json
import os

import numpy as np
import pytest

from upconv_tf.backbones.efficientnet_lite import WEIGHTS_SHA256
from upconv_tf.datasets import bundled_crops
from upconv_tf.detection import FEATURE_KINDS, SpectralFeatures, detector_preset, hybrid
from upconv_tf.fakes import make_fakes

from cuda_kernels import kernels, uncovered_nodes

KIND = "hybrid"
# float32 convolutions: batch composition and kernel choice move the backbone features (0 to 6) by ~1e-5.
BACKBONE_ATOL = 5e-5


@pytest.fixture(scope="module")
def images():
    real = bundled_crops(64, 6, seed=0).images
    return np.concatenate([real, make_fakes(bundled_crops(64, 6, seed=1).images, "transconv")]).astype(np.float32)


def test_features_are_the_spectral_features_then_the_backbone_features(images):
    from upconv_tf.backbones import EfficientNetLite0

    got = SpectralFeatures(kind=KIND, size=64).transform(images)
    spectral = SpectralFeatures(kind="rings-cells-colour", size=64).transform(images)
    visual = np.asarray(EfficientNetLite0(include_top=False)(images)["features"])
    assert got.shape == (len(images), spectral.shape[1] + 1280) and got.dtype == np.float64
    np.testing.assert_array_equal(got[:, :spectral.shape[1]], spectral)
    np.testing.assert_allclose(got[:, spectral.shape[1]:], visual, rtol=0, atol=BACKBONE_ATOL)
    assert np.ptp(got[:, -1280:], axis=0).max() > 0.1  # the backbone half varies with the image
    names = SpectralFeatures(kind=KIND, size=64).get_feature_names_out()
    assert len(names) == got.shape[1] and names[0] == "y_mean_rings1-3" and names[-1] == "backbone_1279"
    assert FEATURE_KINDS[KIND].length(192, 192, "reference") == 505 + 1280


def test_gray_and_rgba_images_are_given_to_the_backbone_as_rgb(images):
    gray = images[:3, ..., :1]
    np.testing.assert_allclose(hybrid.backbone_features(gray), hybrid.backbone_features(np.repeat(gray, 3, -1)),
                               rtol=0, atol=BACKBONE_ATOL)
    rgba = np.concatenate([images[:3], np.zeros_like(images[:3, ..., :1])], -1)
    np.testing.assert_array_equal(SpectralFeatures(kind=KIND).transform(rgba)[:, -1280:],
                                  SpectralFeatures(kind=KIND).transform(images[:3])[:, -1280:])
    with pytest.raises(ValueError, match=r"1, 3 or 4 channels. Received: channels=2"):
        hybrid.backbone_features(images[..., :2])


def test_batches_of_the_backbone_do_not_change_the_features(images, monkeypatch):
    whole = hybrid.backbone_features(images)
    monkeypatch.setattr(hybrid, "BACKBONE_BATCH", 5)  # 12 images: batches of 5, 5 and 2
    np.testing.assert_allclose(hybrid.backbone_features(images), whole, rtol=0, atol=BACKBONE_ATOL)


def test_the_preset_is_the_default_recipe_with_hybrid_features():
    default, preset = detector_preset("default"), detector_preset("hybrid")
    assert preset.feature_kind == KIND and preset.name == "hybrid"
    assert dataclasses.replace(preset, name="default", feature_kind=default.feature_kind) == default
    assert preset.detector().get_params()["feature_kind"] == KIND


def test_kmeans_names_clusters_from_the_spectral_half(images):
    radii, profiles = FEATURE_KINDS[KIND].spectrum(SpectralFeatures(kind=KIND).transform(images), "reference")
    spectral = SpectralFeatures(kind="rings-cells-colour").transform(images)
    expected_radii, expected = FEATURE_KINDS["rings-cells-colour"].spectrum(spectral, "reference")
    np.testing.assert_array_equal(radii, expected_radii)
    np.testing.assert_array_equal(profiles, expected)


@pytest.mark.slow
def test_numpy_savedmodel_and_onnx_features_are_equal(tmp_path, images):
    import onnxruntime as ort
    import tensorflow as tf

    from upconv_tf.export.graph import hybrid_features
    from upconv_tf.export.onnx import function_to_onnx

    # A fresh process: the graph is traced before the numpy path has built the backbone.
    hybrid.backbone.cache_clear()
    hybrid._backbone_function.cache_clear()
    spec = [tf.TensorSpec([None, 64, 64, 3], tf.float32, name="images")]
    graphs = {fft: tf.function(lambda x, fft=fft: {"features": hybrid_features(x, "float64", fft)},
                               input_signature=spec) for fft in ("rfft2d", "matmul")}
    computed = {fft: graph(tf.constant(images))["features"].numpy() for fft, graph in graphs.items()}
    expected = SpectralFeatures(kind=KIND, size=64).transform(images)
    assert np.ptp(expected[:, -1280:], axis=0).max() > 0.1
    for fft, got in computed.items():
        np.testing.assert_allclose(got[:, :-1280], expected[:, :-1280], rtol=0, atol=1e-8)
        np.testing.assert_allclose(got[:, -1280:], expected[:, -1280:], rtol=0, atol=BACKBONE_ATOL)
    function_to_onnx(graphs["matmul"], spec, tmp_path / "features.onnx", ["features"], float64_log=True)
    session = ort.InferenceSession(str(tmp_path / "features.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"images": images})[0]
    np.testing.assert_allclose(got[:, :-1280], expected[:, :-1280], rtol=0, atol=1e-8)
    np.testing.assert_allclose(got[:, -1280:], expected[:, -1280:], rtol=0, atol=1e-4)


@pytest.mark.slow
def test_detector_exports_as_one_graph_with_probability_parity_and_cuda_coverage(tmp_path):
    import onnx

    from upconv_tf.export import export_detector
    from upconv_tf.inference import OnnxDetector, SavedModelDetector

    real, source = bundled_crops(64, 16, seed=2).images, bundled_crops(64, 16, seed=3).images
    X = np.concatenate([real, make_fakes(source[:8], "transconv"), make_fakes(source[8:], "nearest")])
    y = np.r_[np.zeros(16), np.ones(16)]
    held = bundled_crops(64, 8, seed=4).images
    test = np.concatenate([held[:4], make_fakes(held[4:], "bilinear")]).astype(np.float32)
    detector = detector_preset("hybrid").detector(random_state=0).fit(X, y, groups=np.arange(32) % 8)
    expected = detector.predict_proba(test)[:, 1]
    assert np.ptp(expected) > 1e-3  # not a constant
    result = export_detector(detector, tmp_path / "hybrid", image_size=64)
    from_saved = SavedModelDetector(result.saved_model).probability(test)
    from_onnx = OnnxDetector(result.onnx).probability(test)
    print(f"max |SavedModel - scikit-learn| {np.abs(from_saved - expected).max():.2g}, "
          f"max |ONNX - scikit-learn| {np.abs(from_onnx - expected).max():.2g}, "
          f"max |ONNX - SavedModel| {np.abs(from_onnx - from_saved).max():.2g}")
    np.testing.assert_allclose(from_saved, expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(from_onnx, expected, rtol=0, atol=1e-4)
    model = onnx.load(result.onnx)
    assert uncovered_nodes(model, kernels()) == []
    assert "Conv" in {node.op_type for node in model.graph.node}
    metadata = json.loads((tmp_path / "hybrid" / "metadata.json").read_text())
    assert metadata["spectral"]["feature_kind"] == KIND and metadata["spectral"]["num_bins"] == 358 + 1280
    assert metadata["threshold"] == pytest.approx(detector.threshold_)
    assert metadata["backbone"]["sha256"] == WEIGHTS_SHA256 and metadata["backbone"]["features"] == 1280
    # The backbone's weights are stored once, as the SavedModel's variables.
    variables = os.path.join(result.saved_model, "variables")
    assert sum(os.path.getsize(os.path.join(variables, f)) for f in os.listdir(variables)) > 13e6


@pytest.mark.slow
def test_cli_trains_and_exports_the_hybrid_preset(tmp_path, capsys, write_crop_folders):
    from upconv_tf.cli import main
    from upconv_tf.inference import OnnxDetector

    root = write_crop_folders(tmp_path / "data", 64, 24, (30, 31))
    out = tmp_path / "hybrid"
    assert main(["detector", "train", "--preset", "hybrid", "--real", str(root / "real"), "--fake", str(root / "fake"),
                 "--size", "64", "--group-by", "prefix", "--out", str(out)]) == 0
    info = json.loads((out / "detector.json").read_text())
    assert info["metadata"]["preset"]["name"] == "hybrid" and info["params"]["feature_kind"] == KIND
    assert info["metadata"]["training"]["rows"] > 48  # augmented
    capsys.readouterr()
    assert main(["detect", str(root / "real"), "--model", str(out / "model.onnx"), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert len(results) == 24 and all(0 <= r["score"] <= 1 for r in results)
    assert OnnxDetector(out / "model.onnx").threshold == pytest.approx(info["threshold_"])
