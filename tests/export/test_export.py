"""Export of detectors and generators: ONNX / SavedModel parity, layout, metadata, atomic writes."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from upconv_tf.datasets import bundled_crops
from upconv_tf.detection import SpectralDetector
from upconv_tf.export import export_detector, export_generator, next_version, read_metadata
from upconv_tf.fakes import make_fakes
from upconv_tf.runtime import OnnxDetector, OnnxGenerator, SavedModelDetector, SavedModelGenerator

KINDS = ("logreg", "svm", "kmeans")


def _data(size, count, seed, kinds):
    real = bundled_crops(size, count, seed=seed).images
    source = bundled_crops(size, count, seed=seed + 1).images
    fakes = [make_fakes(part, kind, seed=seed) for part, kind in zip(np.array_split(source, len(kinds)), kinds)]
    return np.concatenate([real] + fakes), np.r_[np.zeros(count), np.ones(count)]


@pytest.fixture(scope="module", params=[64, 256])
def detector_data(request):
    size = request.param
    train = _data(size, 24, 0, ["transconv", "nearest"])
    # Held-out images of other up-samplers, so that probabilities are not all saturated.
    test, _ = _data(size, 8, 10, ["bilinear", "zero"])
    return size, train, test


def _sklearn_probability(detector, images):
    return detector.predict_proba(images)[:, 1]


@pytest.mark.parametrize("kind", KINDS)
def test_detector_onnx_and_savedmodel_match_sklearn(tmp_path, detector_data, kind):
    size, (X, y), test = detector_data
    detector = SpectralDetector(kind, random_state=0).fit(X, y)
    result = export_detector(detector, tmp_path / "bundle", image_size=size)
    expected = _sklearn_probability(detector, test)
    assert np.ptp(expected) > 1e-3  # the comparison is not between two constant vectors

    onnx = OnnxDetector(result.onnx)
    assert onnx.provider == "CPUExecutionProvider"
    np.testing.assert_allclose(onnx.predict_proba(test, batch_size=5)[:, 1], expected, rtol=0, atol=1e-4)

    loaded = tf.saved_model.load(result.saved_model).signatures["serving_default"]
    raw = loaded(images=tf.constant(test))["probability"].numpy()
    np.testing.assert_allclose(raw, expected, rtol=0, atol=1e-4)
    np.testing.assert_allclose(SavedModelDetector(result.saved_model).probability(test), raw, rtol=0, atol=1e-6)
    assert (onnx.predict(test) == detector.predict(test)).mean() >= 0.9  # labels agree off the 0.5 boundary


def test_detector_with_resampled_profile_on_non_square_images(tmp_path, rng):
    X, y = _data(64, 16, 3, ["transconv"])
    detector = SpectralDetector("logreg", num_bins=40, random_state=0).fit(X, y)
    result = export_detector(detector, tmp_path, image_size=(48, 56), formats=("onnx",))
    assert result.saved_model is None and not os.path.exists(tmp_path / "saved_model")
    images = np.concatenate([rng.random((3, 48, 56, 3)), make_fakes(rng.random((3, 48, 56, 3)))]).astype("f4")
    np.testing.assert_allclose(OnnxDetector(result.onnx).probability(images), _sklearn_probability(detector, images),
                               rtol=0, atol=1e-4)
    from upconv_tf import spectral

    assert result.metadata["spectral"] == {
        "feature_kind": "azimuthal", "mode": detector.mode, "normalize": detector.normalize, "num_bins": 40, "compute_dtype": "float64",
        "native_bins": spectral.num_bins(48, 56, detector.mode), "reduction": "gather"}


@pytest.fixture(scope="module")
def small_detector():
    X, y = _data(32, 12, 5, ["transconv"])
    return SpectralDetector("logreg", random_state=0).fit(X, y)


def test_repository_layout_versions_and_metadata(tmp_path, small_detector):
    extra = {"training_data": {"real": 12, "fake": 12}, "metrics": {"accuracy": 1.0}}
    first = export_detector(small_detector, image_size=32, root=tmp_path, name="det", metadata=extra)
    second = export_detector(small_detector, image_size=32, root=tmp_path, name="det")
    assert (first.version, second.version) == (1, 2) and next_version(tmp_path, "det") == 3
    assert first.saved_model == os.path.join(tmp_path, "saved_models", "det", "1")
    assert first.onnx == os.path.join(tmp_path, "export", "det", "1", "model.onnx")
    for folder in (first.saved_model, os.path.dirname(first.onnx)):
        data = read_metadata(os.path.join(folder, "metadata.json"), kind="detector")
        assert data["version"] == 1 and data["metrics"] == {"accuracy": 1.0}
        assert data["input"]["shape"] == [None, 32, 32, 3] and data["input"]["range"] == [0, 1]
        assert data["classifier"]["kind"] == "logreg" and data["package_version"]
    assert sorted(os.listdir(tmp_path / "saved_models" / "det")) == ["1", "2"]  # no temporary left
    with pytest.raises(ValueError, match="already exists"):
        export_detector(small_detector, image_size=32, root=tmp_path, name="det", version=2)


def test_failed_export_leaves_previous_version_untouched(tmp_path, small_detector, monkeypatch):
    import upconv_tf.export.api as api

    bundle = tmp_path / "bundle"
    export_detector(small_detector, image_size=32, root=tmp_path, name="det")
    export_detector(small_detector, bundle, image_size=32)
    before = {p: open(p, "rb").read() for p in _files(tmp_path)}

    def broken(*args, **kwargs):
        raise RuntimeError("injected ONNX failure")

    monkeypatch.setattr(api, "function_to_onnx", broken)
    other = SpectralDetector("kmeans", random_state=0).fit(*_data(32, 12, 6, ["nearest"]))
    for kwargs in ({"root": tmp_path, "name": "det"}, {"out_dir": bundle}):
        with pytest.raises(RuntimeError, match="injected"):
            export_detector(other, image_size=32, **kwargs)
    assert {p: open(p, "rb").read() for p in _files(tmp_path)} == before  # same files, same bytes
    assert next_version(tmp_path, "det") == 2


def _files(root):
    return sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files)


def test_bundle_export_replaces_previous_bundle(tmp_path, small_detector):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "detector.json").write_text("{}")  # another writer's file is kept
    export_detector(small_detector, bundle, image_size=32)
    export_detector(small_detector, bundle, image_size=32, metadata={"metrics": {"run": 2}})
    assert sorted(os.listdir(bundle)) == ["detector.json", "metadata.json", "model.onnx", "saved_model"]
    assert json.loads((bundle / "saved_model" / "metadata.json").read_text())["metrics"] == {"run": 2}


def test_export_rejects_bad_arguments(tmp_path, small_detector):
    with pytest.raises(ValueError, match="fitted SpectralDetector"):
        export_detector(SpectralDetector(), tmp_path, image_size=32)
    with pytest.raises(ValueError, match="image_size"):
        export_detector(small_detector, tmp_path, image_size="big")
    with pytest.raises(ValueError, match="name"):
        export_detector(small_detector, image_size=32, root=tmp_path, name="../x")
    with pytest.raises(ValueError, match="formats"):
        export_detector(small_detector, tmp_path, image_size=32, formats=("tflite",))
    with pytest.raises(ValueError, match="opset"):  # fails after the SavedModel was staged
        export_detector(small_detector, tmp_path, image_size=32, opset=13)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("upsampling", ["transconv", "nearest", "bilinear", "zero"])
def test_generator_export_matches_keras(tmp_path, upsampling):
    from upconv_tf.models import build_generator

    generator = build_generator(32, latent_dim=16, upsampling=upsampling, correction=None if upsampling ==
                                "transconv" else 3, dim=8)
    result = export_generator(generator, tmp_path)
    latent = np.random.default_rng(0).standard_normal((5, 16)).astype("float32")
    expected = generator(latent, training=False).numpy()
    scale = np.abs(expected).max()
    assert scale > 0
    onnx = OnnxGenerator(result.onnx)
    assert np.abs(onnx.generate(latent, batch_size=2) - expected).max() <= 1e-4 * scale
    reloaded = tf.saved_model.load(result.saved_model).signatures["serving_default"]
    np.testing.assert_allclose(reloaded(latent=tf.constant(latent))["images"].numpy(), expected, rtol=1e-6, atol=1e-7)
    assert onnx.sample(3, seed=1).shape == (3, 32, 32, 3)
    assert result.metadata["output"]["range"] == [-1, 1]


def test_gan_and_autoencoder_export(tmp_path):
    from upconv_tf.models import SpectralAutoencoder, SpectralGAN, build_discriminator, build_generator

    gan = SpectralGAN(build_generator(32, latent_dim=8, dim=8), build_discriminator(32, dim=8))
    result = export_generator(gan, tmp_path / "gan", formats=("onnx",))
    latent = np.random.default_rng(1).standard_normal((2, 8)).astype("float32")
    expected = gan.generator(latent).numpy()
    assert np.abs(OnnxGenerator(result.onnx).generate(latent) - expected).max() <= 1e-4 * np.abs(expected).max()

    autoencoder = SpectralAutoencoder(32, "nearest", correction=3, filters=8)
    result = export_generator(autoencoder, tmp_path / "ae")
    images = np.random.default_rng(2).uniform(-1, 1, (3, 32, 32, 3)).astype("float32")
    expected = autoencoder(images).numpy()
    for runner in (OnnxGenerator(result.onnx), SavedModelGenerator(result.saved_model)):
        assert np.abs(runner.generate(images) - expected).max() <= 1e-4 * np.abs(expected).max()
    assert result.metadata["input"]["name"] == "images" and result.metadata["output"]["name"] == "reconstruction"
