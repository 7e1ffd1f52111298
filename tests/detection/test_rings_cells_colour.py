"""The "rings-cells-colour" feature kind: bin maps and their gather plans, the definition, numpy / TensorFlow /
ONNX equality, detectors on it (export parity, persistence), names and input validation."""

import fractions
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from upconv_tf import spectral
from upconv_tf.datasets import bundled_crops
from upconv_tf.detection import FEATURE_KINDS, SpectralDetector, SpectralFeatures, load_detector, save_detector
from upconv_tf.detection import rings_cells_colour as rcc
from upconv_tf.export import export_detector, read_metadata
from upconv_tf.export.graph import colour_features, detector_function
from upconv_tf.export.onnx import function_to_onnx
from upconv_tf.fakes import make_fakes
from upconv_tf.layers import azimuthal
from upconv_tf.layers import dft as four_step
from upconv_tf.runtime import OnnxDetector, SavedModelDetector

KIND = "rings-cells-colour"
SIZES = [(24, 24), (25, 31), (32, 50), (64, 64)]


def _full_plane_sums(image, mode):
    """Brute force: bin sums of |fft2|^2 over the whole plane (no Hermitian bookkeeping)."""
    full, count = spectral._full_plane_bins(*image.shape, mode)
    power = np.abs(np.fft.fft2(image)) ** 2
    return np.bincount(full.ravel(), weights=power.ravel(), minlength=count + 1)[:count]


@pytest.mark.parametrize("mode", spectral.BIN_MAPS)
@pytest.mark.parametrize("size", SIZES)
def test_plan_sums_equal_full_plane_sums_for_every_bin_map(rng, mode, size):
    height, width = size
    image = rng.random(size)
    plan = spectral.reduction_plan(height, width, mode)
    half_power = np.abs(np.fft.rfft2(image)) ** 2
    expected = _full_plane_sums(image, mode)
    got = spectral.bin_sums(half_power.ravel() * plan.weights.ravel(), plan)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # The same plan in TensorFlow, on the half plane and on the four-step DFT's own row order.
    columns = tf.constant(half_power.reshape(-1, 1))
    rfft = azimuthal.bin_sums(columns, azimuthal.columns_plan(columns.shape[0], height, width, None, mode))
    np.testing.assert_allclose(rfft.numpy()[:, 0], expected, rtol=1e-12)
    power = four_step.power_columns(tf.constant(image[None]), "float64")
    positions = four_step.half_plane_positions(height, width)
    steps = azimuthal.bin_sums(power, azimuthal.columns_plan(power.shape[0], height, width, positions, mode))
    np.testing.assert_allclose(steps.numpy()[:, 0], expected, rtol=1e-9)
    # Memory stays O(H W): at most one index per full-plane coefficient, never coefficients x bins.
    assert plan.chunk_sources.size + plan.rest_sources.size <= height * width


@pytest.mark.parametrize("size", [(24, 24), (25, 25), (33, 58), (192, 192)])
def test_cell_map_is_the_exact_normalised_frequency_grid(size):
    height, width = size
    full, count = spectral._full_plane_bins(height, width, "cells")
    assert count == spectral.CELL_GRID ** 2
    for row, fy in enumerate(np.fft.fftfreq(height) * height):
        for column, fx in enumerate(np.fft.fftfreq(width) * width):
            ay, ax = abs(round(fy)), abs(round(fx))
            if 2 * ay >= height or 2 * ax >= width:
                assert full[row, column] == count
                continue
            i = int(fractions.Fraction(2 * spectral.CELL_GRID * ay, height))  # floor(12 |fy| / (H/2)), exact
            j = int(fractions.Fraction(2 * spectral.CELL_GRID * ax, width))
            assert full[row, column] == i * spectral.CELL_GRID + j
    assert spectral.bin_layout(height, width, "cells").counts.min() >= 1


def _brute_force_features(image):
    """The definition of rcc's module docstring on the full complex plane, with boolean masks."""
    height, width = image.shape[:2]
    weights = np.array(spectral.GRAY_WEIGHTS)
    y = image @ weights
    planes = [y, image[..., 2] - y, image[..., 0] - y]
    rings, _ = spectral._full_plane_bins(height, width, "centered")
    cells, _ = spectral._full_plane_bins(height, width, "cells")
    count = min(height, width) // 2
    pools = (count - 1) // 3
    stats = []
    for plane in planes:
        power = np.abs(np.fft.fft2(plane - plane.mean())) ** 2 / plane.size
        log = 10 * np.log10(power + 1e-10)
        ring = [(power[rings == k].mean(), log[rings == k].mean(), (log[rings == k] ** 2).mean())
                for k in range(1, 3 * pools + 1)]
        ring = np.array(ring).reshape(pools, 3, 3).mean(axis=1)  # pools x (P, L, L^2)
        cell = np.array([(power[cells == c].mean(), log[cells == c].mean()) for c in range(144)])
        stats.append((ring, cell))
    (ry, cy), (rb, _), (rr, _) = stats
    gap = [10 * np.log10(r[:, 0] + 1e-10) - r[:, 1] for r in (ry, rb, rr)]
    return np.concatenate([ry[:, 1] - ry[:, 1].mean(), gap[0], np.sqrt(ry[:, 2] - ry[:, 1] ** 2),
                           rb[:, 1] - ry[:, 1], rr[:, 1] - ry[:, 1], gap[1], gap[2],
                           cy[:, 1] - cy[:, 1].mean(), 10 * np.log10(cy[:, 0] + 1e-10) - cy[:, 1]])


@pytest.mark.parametrize("size", [(32, 32), (33, 40)])
def test_features_follow_the_definition(rng, size):
    images = rng.random((2,) + size + (3,))
    got = SpectralFeatures(kind=KIND).transform(images)
    expected = np.stack([_brute_force_features(image) for image in images])
    assert got.shape == (2, rcc.num_features(*size))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_feature_names_say_channel_statistic_and_place():
    names = SpectralFeatures(kind=KIND, size=192).get_feature_names_out()
    assert len(names) == 505 == len(set(names)) == rcc.num_features(192, 192)
    assert names[0] == "y_mean_rings1-3" and names[30] == "y_mean_rings91-93"
    assert names[31] == "y_gap_rings1-3" and names[62] == "y_std_rings1-3"
    assert [names[31 * k] for k in range(3, 7)] == ["cb_rel_rings1-3", "cr_rel_rings1-3", "cb_gap_rings1-3",
                                                     "cr_gap_rings1-3"]
    assert names[217] == "y_mean_cell0_0" and names[217 + 13] == "y_mean_cell1_1" and names[-1] == "y_gap_cell11_11"
    # Non-square: the rings follow the shorter side.
    assert len(SpectralFeatures(kind=KIND, size=(96, 128)).get_feature_names_out()) == 7 * 15 + 288
    with pytest.raises(ValueError, match="give `X` or `size`"):
        SpectralFeatures(kind=KIND).get_feature_names_out()


def test_gray_images_are_rgb_with_equal_channels_and_alpha_is_dropped(crops64):
    rgb = crops64.images[:4].astype(np.float64)
    gray = spectral.to_gray(rgb)[..., None]
    transformer = SpectralFeatures(kind=KIND, size=64)
    features = transformer.transform(gray)
    np.testing.assert_allclose(features, transformer.transform(np.repeat(gray, 3, -1)), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(features, transformer.transform(gray[..., 0]))  # (N, H, W) arrays are gray too
    rgba = np.concatenate([rgb, np.random.default_rng(0).random(rgb.shape[:3] + (1,))], -1)
    np.testing.assert_array_equal(transformer.transform(rgba), transformer.transform(rgb))
    # What "colour" means for a gray image: both chroma planes are (1 - sum of the weights) * gray, 80 dB below
    # luma where they clear the 1e-10 floor (cb_rel, cr_rel in [-80, 0) dB); the luma features are those of the
    # colour original (gray is its luma up to the gain 0.9999, which the luma features ignore but for
    # coefficients near the floor).
    names = transformer.get_feature_names_out()
    colour = np.array([name.startswith(("cb_", "cr_")) for name in names])
    np.testing.assert_allclose(features[:, ~colour], transformer.transform(rgb)[:, ~colour], rtol=0, atol=1e-3)
    relative = features[:, ["_rel_" in name for name in names]]
    assert relative.size == 4 * 2 * 10 and np.all(relative >= -80 - 1e-6) and np.all(relative < 0)
    np.testing.assert_allclose(features[:, [n.startswith("cb_") for n in names]],
                               features[:, [n.startswith("cr_") for n in names]], rtol=0, atol=1e-9)


def _graph(height, width, channels, fft):
    spec = [tf.TensorSpec([None, height, width, channels], tf.float32, name="images")]
    return tf.function(lambda x: {"features": colour_features(x, "float64", fft)}, input_signature=spec), spec


@pytest.mark.parametrize("size, channels", [((64, 64), 3), ((40, 56), 3), ((48, 48), 1), ((48, 48), 4)])
def test_numpy_savedmodel_and_onnx_features_are_equal(tmp_path, size, channels):
    import onnxruntime as ort

    height, width = size
    real = bundled_crops(max(size), 4, seed=0).images[:, :height, :width]
    fakes = make_fakes(bundled_crops(max(size), 4, seed=1).images[:, :height, :width], "bilinear")
    images = np.concatenate([real, fakes]).astype(np.float32)
    if channels == 1:
        images = images[..., :1]
    elif channels == 4:
        images = np.concatenate([images, np.ones_like(images[..., :1])], -1)
    expected = SpectralFeatures(kind=KIND, size=size).transform(images)
    rfft, spec = _graph(height, width, channels, "rfft2d")
    np.testing.assert_allclose(rfft(tf.constant(images))["features"].numpy(), expected, rtol=0, atol=1e-8)
    matmul, _ = _graph(height, width, channels, "matmul")
    np.testing.assert_allclose(matmul(tf.constant(images))["features"].numpy(), expected, rtol=0, atol=1e-8)
    model = function_to_onnx(matmul, spec, tmp_path / "features.onnx", ["features"], float64_log=True)
    assert "DFT" not in {node.op_type for node in model.graph.node}
    casts = [node for node in model.graph.node if node.op_type == "Cast"]
    assert len(casts) == 1 and casts[0].input[0] == "images"  # float64 from the input on: no float32 round trip
    session = ort.InferenceSession(str(tmp_path / "features.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"images": images})[0], expected, rtol=0, atol=1e-8)


def _training_data(height, width, count=16):
    side = max(height, width)
    real = bundled_crops(side, count, seed=0).images[:, :height, :width]
    source = bundled_crops(side, count, seed=1).images[:, :height, :width]
    fakes = np.concatenate([make_fakes(source[: count // 2], "transconv"), make_fakes(source[count // 2:], "nearest")])
    held = bundled_crops(side, 9, seed=7).images[:, :height, :width]
    test = np.concatenate([held[:3], make_fakes(held[3:6], "bilinear"), make_fakes(held[6:], "zero")])
    return np.concatenate([real, fakes]), np.r_[np.zeros(count), np.ones(count)], test.astype(np.float32)


@pytest.mark.parametrize("size", [(64, 64), (192, 192), (48, 72)])
def test_detector_exports_as_one_graph_with_probability_parity(tmp_path, size):
    X, y, test = _training_data(*size)
    for classifier in ("svm", "logreg", "kmeans"):
        detector = SpectralDetector(classifier, feature_kind=KIND, random_state=0).fit(X, y)
        assert detector.num_bins_ == rcc.num_features(*size)
        expected = detector.predict_proba(test)[:, 1]
        assert np.ptp(expected) > 1e-3, classifier  # not two constant vectors
        result = export_detector(detector, tmp_path / classifier, image_size=size)
        onnx = OnnxDetector(result.onnx)
        np.testing.assert_allclose(onnx.probability(test), expected, rtol=0, atol=1e-4)
        np.testing.assert_allclose(SavedModelDetector(result.saved_model).probability(test), expected, rtol=0,
                                   atol=1e-4)
        spectral_metadata = read_metadata(os.path.join(os.path.dirname(result.onnx), "metadata.json"))["spectral"]
        assert spectral_metadata["feature_kind"] == KIND and spectral_metadata["num_bins"] == detector.num_bins_
        assert "feature_kind" not in result.metadata["classifier"]["params"]  # described once, under "spectral"
        assert spectral_metadata["mode"] is None and spectral_metadata["normalize"] is None  # not used by this kind


def test_detector_saves_loads_and_validates_its_feature_kind(tmp_path):
    X, y, test = _training_data(32, 32, 8)
    detector = SpectralDetector("kmeans", feature_kind=KIND, random_state=0).fit(X, y)
    assert detector.cluster_departure_.shape == (2,) and np.all(np.isfinite(detector.cluster_departure_))
    assert detector.feature_transformer().get_params()["kind"] == KIND
    save_detector(detector, tmp_path / "detector")
    with open(tmp_path / "detector" / "detector.json") as handle:
        assert json.load(handle)["params"]["feature_kind"] == KIND
    loaded = load_detector(tmp_path / "detector")
    np.testing.assert_array_equal(loaded.predict_proba(test), detector.predict_proba(test))
    with pytest.raises(ValueError, match=r"^`feature_kind` must be one of .*Received: feature_kind='wavelet'$"):
        SpectralDetector(feature_kind="wavelet").fit(X, y)
    with pytest.raises(ValueError, match=r"`num_bins` applies to the 'azimuthal' features only.*Received: num_bins=8"):
        SpectralDetector(feature_kind=KIND, num_bins=8).fit(X, y)
    # Another size gives another number of features: the detector and its export say so in one line.
    with pytest.raises(ValueError, match="X has 358 features, but SpectralDetector is expecting 323 features"):
        detector.predict(bundled_crops(64, 2, seed=0).images)
    with pytest.raises(ValueError, match=r"fitted on 323 .* 64 x 64 px images give 358.*Received: height=64, width=64"):
        detector_function(detector, 64, 64)


@pytest.mark.parametrize("call, message", [
    (lambda: SpectralFeatures(kind=KIND, size=16).fit(), r"`size` is too small: .*at least 24 x 24 px.*Received: "
                                                        r"height=16, width=16"),
    (lambda: SpectralFeatures(kind=KIND).transform(np.zeros((2, 20, 64, 3))), r"at least 24 x 24 .*height=20, width=64"),
    (lambda: SpectralFeatures(kind=KIND, num_bins=10).fit(), r"`num_bins` applies .*Received: num_bins=10"),
    (lambda: SpectralFeatures(kind=KIND).transform([np.zeros((32, 32, 3)), np.zeros((64, 64, 3))]),
     r"bring the images to one size .*Received: 32 x 32 px \(323 features\), 64 x 64 px \(358 features\)"),
    (lambda: SpectralFeatures(kind=KIND, size=32).transform(np.zeros((1, 64, 64, 3))), r"Received: 64 x 64 px"),
    (lambda: SpectralFeatures(kind=KIND).transform(np.zeros((1, 32, 32, 2))), r"1, 3 or 4 channels.*Received"),
    (lambda: colour_features(tf.zeros([1, 16, 32, 3])), r"at least 24 x 24 .*Received: height=16, width=32"),
])
def test_bad_inputs_get_one_line_errors(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


def test_constant_images_have_exact_features():
    """Zero power everywhere (a constant image): every dB difference and variance is zero up to rounding (the
    floor keeps the logarithms finite), in every path."""
    images = np.full((2, 32, 32, 3), 0.5, np.float32)
    features = SpectralFeatures(kind=KIND).transform(images)
    assert np.all(np.isfinite(features))
    np.testing.assert_allclose(features, 0, atol=1e-9)
    graph, _ = _graph(32, 32, 3, "matmul")
    np.testing.assert_allclose(graph(tf.constant(images))["features"].numpy(), 0, atol=1e-6)


def test_the_kind_is_registered_with_its_parts():
    kind = FEATURE_KINDS[KIND]
    assert not kind.resamples and kind.length(192, 192, "reference") == 505
    radii, profile = kind.spectrum(np.arange(505.0)[None], "reference")
    np.testing.assert_array_equal(radii, 3 * np.arange(31) + 2.0)
    np.testing.assert_array_equal(profile[0], np.arange(31.0))
